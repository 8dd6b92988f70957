import type { Database, Statement } from "better-sqlite3";

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
  private readonly statements: {
    insert: Statement;
    nextPending: Statement;
    markHandled: Statement;
    pendingRooms: Statement;
    pendingCount: Statement;
    pruneEntries: Statement;
  };

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO bridge_matrix_journal (event_key, room_id, kind, body, received_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING`,
      ),
      nextPending: db.prepare(
        `SELECT seq, room_id, kind, body, received_at FROM bridge_matrix_journal
          WHERE room_id = ? AND handled_at IS NULL ORDER BY seq LIMIT 1`,
      ),
      markHandled: db.prepare("UPDATE bridge_matrix_journal SET handled_at = ?, body = NULL WHERE seq = ?"),
      pendingRooms: db
        .prepare(
          `SELECT room_id FROM bridge_matrix_journal WHERE handled_at IS NULL
            GROUP BY room_id ORDER BY MIN(seq)`,
        )
        .pluck(),
      pendingCount: db.prepare("SELECT COUNT(*) FROM bridge_matrix_journal WHERE handled_at IS NULL").pluck(),
      pruneEntries: db.prepare("DELETE FROM bridge_matrix_journal WHERE handled_at < ?"),
    };
  }

  /**
   * Stores a transaction's events in one commit; events journaled before (the transaction was
   * delivered again, or overlapped another) are not stored twice. Transactions are not skipped
   * by their id: a homeserver that lost its own count may reuse an id for new events.
   */
  takeIn(events: readonly IncomingJournalEvent[]): JournalIntake {
    return this.db.transaction((): JournalIntake => {
      const receivedAt = this.now();
      const rooms = new Set<string>();
      let stored = 0;
      for (const entry of events) {
        const body = JSON.stringify(entry.event);
        const { changes } = this.statements.insert.run(entry.key, entry.roomId, entry.kind, body, receivedAt);
        if (changes === 1) {
          stored++;
          rooms.add(entry.roomId);
        }
      }
      return { rooms: [...rooms], stored };
    })();
  }

  /** The oldest entry of `roomId` not yet handled. */
  nextPending(roomId: string): JournalEntry | undefined {
    const row = this.statements.nextPending.get(roomId) as
      { seq: number; room_id: string; kind: JournalKind; body: string; received_at: number } | undefined;
    if (!row) return undefined;
    return {
      seq: row.seq,
      roomId: row.room_id,
      kind: row.kind,
      event: JSON.parse(row.body),
      receivedAt: row.received_at,
    };
  }

  markHandled(seq: number): void {
    this.statements.markHandled.run(this.now(), seq);
  }

  /** Rooms with entries waiting, the room of the oldest waiting entry first. */
  pendingRooms(): string[] {
    return this.statements.pendingRooms.all() as string[];
  }

  pendingCount(): number {
    return this.statements.pendingCount.get() as number;
  }

  /**
   * Forgets handled entries older than `ageMs`. A homeserver redelivers a transaction within
   * minutes, so days of memory is plenty for deduplication.
   */
  prune(ageMs: number): void {
    this.statements.pruneEntries.run(this.now() - ageMs);
  }
}
