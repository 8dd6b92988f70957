import type { SqlDatabase } from "./sql/sql-database.js";

export type JournalKind = "event" | "ephemeral";

/** One Matrix event as the homeserver delivered it, waiting in the journal. */
export interface JournalEntry {
  seq: number;
  roomId: string;
  kind: JournalKind;
  /** The event as received (parsed JSON). */
  event: Record<string, unknown>;
  /** When the bridge took it in (ms since the epoch). */
  receivedAt: number;
}

/** An event to take into the journal: its key (the event id, or one made for an ephemeral event). */
export interface IncomingJournalEvent {
  key: string;
  roomId: string;
  kind: JournalKind;
  event: Record<string, unknown>;
}

export interface JournalIntake {
  /** Rooms that got new entries, in the order of their first new entry. */
  rooms: string[];
  /** Events stored now; the others were known already (redelivered). */
  stored: number;
}

/**
 * The journal of Matrix events: written before the homeserver's transaction is answered, read
 * per room in order, marked handled one by one. Handled entries keep their key (for
 * deduplication) until pruned; their bodies are dropped at once.
 */
export class MatrixJournal {
  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number,
  ) {}

  /**
   * Stores a transaction's events in one commit; events journaled before (the transaction was
   * delivered again, or overlapped another) are not stored twice. Transactions are not skipped
   * by their id: a homeserver that lost its own count may reuse an id for new events.
   */
  async takeIn(events: readonly IncomingJournalEvent[]): Promise<JournalIntake> {
    // Most transactions carry only the bridge's own events back (left out before this): nothing
    // to commit, and no reason to wait for a transaction that is open.
    if (events.length === 0) return { rooms: [], stored: 0 };
    const receivedAt = this.now();
    return this.db.transaction(async (tx): Promise<JournalIntake> => {
      const rooms = new Set<string>();
      let stored = 0;
      for (const entry of events) {
        const body = JSON.stringify(entry.event);
        const { changes } = await tx.run(
          `INSERT INTO bridge_matrix_journal (event_key, room_id, kind, body, received_at)
           VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING`,
          [entry.key, entry.roomId, entry.kind, body, receivedAt],
        );
        if (changes === 1) {
          stored++;
          rooms.add(entry.roomId);
        }
      }
      return { rooms: [...rooms], stored };
    });
  }

  /** The oldest entry of `roomId` not yet handled. */
  async nextPending(roomId: string): Promise<JournalEntry | undefined> {
    const row = await this.db.get<{
      seq: number;
      room_id: string;
      kind: JournalKind;
      body: string;
      received_at: number;
    }>(
      `SELECT seq, room_id, kind, body, received_at FROM bridge_matrix_journal
        WHERE room_id = ? AND handled_at IS NULL ORDER BY seq LIMIT 1`,
      [roomId],
    );
    if (!row) return undefined;
    return {
      seq: row.seq,
      roomId: row.room_id,
      kind: row.kind,
      event: JSON.parse(row.body),
      receivedAt: row.received_at,
    };
  }

  async markHandled(seq: number): Promise<void> {
    await this.db.run("UPDATE bridge_matrix_journal SET handled_at = ?, body = NULL WHERE seq = ?", [
      this.now(),
      seq,
    ]);
  }

  /** Rooms with entries waiting, the room of the oldest waiting entry first. */
  async pendingRooms(): Promise<string[]> {
    const rows = await this.db.all<{ room_id: string }>(
      `SELECT room_id FROM bridge_matrix_journal WHERE handled_at IS NULL
        GROUP BY room_id ORDER BY MIN(seq)`,
    );
    return rows.map((row) => row.room_id);
  }

  async pendingCount(): Promise<number> {
    const row = await this.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM bridge_matrix_journal WHERE handled_at IS NULL",
    );
    return row?.n ?? 0;
  }

  /**
   * Forgets handled entries older than `ageMs`. A homeserver redelivers a transaction within
   * minutes, so days of memory is plenty for deduplication.
   */
  async prune(ageMs: number): Promise<void> {
    await this.db.run("DELETE FROM bridge_matrix_journal WHERE handled_at < ?", [this.now() - ageMs]);
  }
}
