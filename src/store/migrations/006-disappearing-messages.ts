import type { Migration } from "./migration.js";

export const disappearingMessages: Migration = {
  version: 6,
  description: "bridge: each portal's disappearing-message timer and the Matrix events waiting to expire",
  sql: `
      -- The chat's timer as Signal last told us (seconds, 0 = off) and its version: Signal ignores
      -- a timer change older than the one it has, and so do we.
      CREATE TABLE bridge_disappearing_timers (
        room_id TEXT PRIMARY KEY,
        seconds INTEGER NOT NULL,
        version INTEGER,
        updated_at INTEGER NOT NULL
      ) STRICT;

      -- Bridged Matrix events of disappearing messages. expires_at is NULL until the countdown
      -- starts (received messages: when read; our own: when sent); sent_at is the Signal
      -- timestamp, so a read receipt starts every message up to the one it names.
      CREATE TABLE bridge_disappearing_events (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        timer_ms INTEGER NOT NULL,
        expires_at INTEGER,
        -- failed redactions so far, for the retry back-off
        attempts INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX bridge_disappearing_events_due ON bridge_disappearing_events (expires_at)
        WHERE expires_at IS NOT NULL;
      CREATE INDEX bridge_disappearing_events_unread ON bridge_disappearing_events (room_id, sent_at)
        WHERE expires_at IS NULL;
    `,
};
