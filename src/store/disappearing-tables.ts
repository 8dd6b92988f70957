import type { Database } from "better-sqlite3";

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
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  timerOf(roomId: string): ChatTimer | undefined {
    const r = this.db
      .prepare("SELECT seconds, version FROM bridge_disappearing_timers WHERE room_id = ?")
      .get(roomId) as { seconds: number; version: number | null } | undefined;
    return r && { seconds: r.seconds, version: r.version ?? undefined };
  }

  setTimer(roomId: string, timer: ChatTimer): void {
    this.db
      .prepare(
        `INSERT INTO bridge_disappearing_timers (room_id, seconds, version, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (room_id) DO UPDATE SET
           seconds = excluded.seconds, version = excluded.version, updated_at = excluded.updated_at`,
      )
      .run(roomId, timer.seconds, timer.version ?? null, this.now());
  }

  /**
   * Remembers that `eventId` disappears; `expiresAt` is given when its countdown has started.
   * An event already scheduled keeps its schedule (a message bridged again after a restart).
   */
  schedule(event: Omit<DisappearingEvent, "attempts">): void {
    this.db
      .prepare(
        `INSERT INTO bridge_disappearing_events (event_id, room_id, sent_at, timer_ms, expires_at)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
      )
      .run(event.eventId, event.roomId, event.sentAt, event.timerMs, event.expiresAt ?? null);
  }

  scheduled(eventId: string): DisappearingEvent | undefined {
    const r = this.db.prepare("SELECT * FROM bridge_disappearing_events WHERE event_id = ?").get(eventId) as
      EventRecord | undefined;
    return r && eventFromRecord(r);
  }

  /**
   * Starts the countdown, at `readAt`, of every unread event in `roomId` sent at or before
   * `upToSentAt` (reading a message means having read what came before it). Returns how many.
   */
  startReadUpTo(roomId: string, upToSentAt: number, readAt: number): number {
    return this.db
      .prepare(
        `UPDATE bridge_disappearing_events SET expires_at = ? + timer_ms
         WHERE room_id = ? AND sent_at <= ? AND expires_at IS NULL`,
      )
      .run(readAt, roomId, upToSentAt).changes;
  }

  /** When the next event is due, if any countdown is running. */
  nextDue(): number | undefined {
    const at = this.db
      .prepare("SELECT MIN(expires_at) FROM bridge_disappearing_events WHERE expires_at IS NOT NULL")
      .pluck()
      .get() as number | null;
    return at ?? undefined;
  }

  /** Events due at `now`, earliest first. */
  due(now: number, limit: number): DisappearingEvent[] {
    const records = this.db
      .prepare(
        `SELECT * FROM bridge_disappearing_events WHERE expires_at IS NOT NULL AND expires_at <= ?
         ORDER BY expires_at LIMIT ?`,
      )
      .all(now, limit) as EventRecord[];
    return records.map(eventFromRecord);
  }

  /** A redaction failed: try again at `retryAt`. */
  postpone(eventId: string, retryAt: number): void {
    this.db
      .prepare(
        "UPDATE bridge_disappearing_events SET expires_at = ?, attempts = attempts + 1 WHERE event_id = ?",
      )
      .run(retryAt, eventId);
  }

  /** The event was redacted: forget it, and the Signal message it stood for. */
  remove(eventId: string): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM bridge_disappearing_events WHERE event_id = ?").run(eventId);
      this.db.prepare("DELETE FROM bridge_messages WHERE event_id = ?").run(eventId);
    })();
  }
}
