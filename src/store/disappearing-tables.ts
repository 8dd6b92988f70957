import type { SqlDatabase } from "./sql/sql-database.js";

/** A chat's disappearing-message timer as Signal last set it. */
export interface ChatTimer {
  /** Seconds; 0 = off. */
  seconds: number;
  /** Signal's expireTimerVersion of the change, when the sender gave one. */
  version: number | undefined;
}

/** A bridged Matrix event that disappears `timerMs` after its countdown starts. */
export interface DisappearingEvent {
  eventId: string;
  roomId: string;
  /** The Signal message's timestamp (ms). */
  sentAt: number;
  timerMs: number;
  /** When it is due for redaction; undefined while it waits to be read. */
  expiresAt: number | undefined;
  /** Failed redactions so far. */
  attempts: number;
}

interface EventRecord {
  event_id: string;
  room_id: string;
  sent_at: number;
  timer_ms: number;
  expires_at: number | null;
  attempts: number;
}

function eventFromRecord(r: EventRecord): DisappearingEvent {
  return {
    eventId: r.event_id,
    roomId: r.room_id,
    sentAt: r.sent_at,
    timerMs: r.timer_ms,
    expiresAt: r.expires_at ?? undefined,
    attempts: r.attempts,
  };
}

/** Disappearing messages: each portal's timer and the events waiting to be redacted. */
export class DisappearingTables {
  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number,
  ) {}

  async timerOf(roomId: string): Promise<ChatTimer | undefined> {
    const r = await this.db.get<{ seconds: number; version: number | null }>(
      "SELECT seconds, version FROM bridge_disappearing_timers WHERE room_id = ?",
      [roomId],
    );
    return r && { seconds: r.seconds, version: r.version ?? undefined };
  }

  async setTimer(roomId: string, timer: ChatTimer): Promise<void> {
    await this.db.run(
      `INSERT INTO bridge_disappearing_timers (room_id, seconds, version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (room_id) DO UPDATE SET
           seconds = excluded.seconds, version = excluded.version, updated_at = excluded.updated_at`,
      [roomId, timer.seconds, timer.version ?? null, this.now()],
    );
  }

  /**
   * Remembers that `eventId` disappears; `expiresAt` is given when its countdown has started.
   * An event already scheduled keeps its schedule (a message bridged again after a restart).
   */
  async schedule(event: Omit<DisappearingEvent, "attempts">): Promise<void> {
    await this.db.run(
      `INSERT INTO bridge_disappearing_events (event_id, room_id, sent_at, timer_ms, expires_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
      [event.eventId, event.roomId, event.sentAt, event.timerMs, event.expiresAt ?? null],
    );
  }

  async scheduled(eventId: string): Promise<DisappearingEvent | undefined> {
    const r = await this.db.get<EventRecord>("SELECT * FROM bridge_disappearing_events WHERE event_id = ?", [
      eventId,
    ]);
    return r && eventFromRecord(r);
  }

  /**
   * Starts the countdown, at `readAt`, of every unread event in `roomId` sent at or before
   * `upToSentAt` (reading a message means having read what came before it). Returns how many.
   */
  async startReadUpTo(roomId: string, upToSentAt: number, readAt: number): Promise<number> {
    const { changes } = await this.db.run(
      `UPDATE bridge_disappearing_events SET expires_at = ? + timer_ms
       WHERE room_id = ? AND sent_at <= ? AND expires_at IS NULL`,
      [readAt, roomId, upToSentAt],
    );
    return changes;
  }

  /** When the next event is due, if any countdown is running. */
  async nextDue(): Promise<number | undefined> {
    const row = await this.db.get<{ at: number | null }>(
      "SELECT MIN(expires_at) AS at FROM bridge_disappearing_events WHERE expires_at IS NOT NULL",
    );
    return row?.at ?? undefined;
  }

  /** Events due at `now`, earliest first. */
  async due(now: number, limit: number): Promise<DisappearingEvent[]> {
    const records = await this.db.all<EventRecord>(
      `SELECT * FROM bridge_disappearing_events WHERE expires_at IS NOT NULL AND expires_at <= ?
       ORDER BY expires_at, event_id LIMIT ?`,
      [now, limit],
    );
    return records.map(eventFromRecord);
  }

  /** A redaction failed: try again at `retryAt`. */
  async postpone(eventId: string, retryAt: number): Promise<void> {
    await this.db.run(
      "UPDATE bridge_disappearing_events SET expires_at = ?, attempts = attempts + 1 WHERE event_id = ?",
      [retryAt, eventId],
    );
  }

  /** The event was redacted: forget it, and the Signal message it stood for. */
  async remove(eventId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run("DELETE FROM bridge_disappearing_events WHERE event_id = ?", [eventId]);
      await tx.run("DELETE FROM bridge_messages WHERE event_id = ?", [eventId]);
    });
  }
}
