import type { Migration } from "./migration.js";

export const matrixJournal: Migration = {
  version: 7,
  description: "bridge: the journal of Matrix events received from the homeserver, and Signal send clocks",
  sql: `
      -- Every event of a homeserver transaction, stored before the homeserver gets its answer and
      -- handled from here in order per room. event_key is the event id (an ephemeral event, which
      -- has none, gets one made from its transaction, position and content); it is kept after
      -- handling, with the body dropped, so a redelivered event is recognised.
      CREATE TABLE bridge_matrix_journal (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_key TEXT NOT NULL UNIQUE,
        room_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('event', 'ephemeral')),
        body TEXT,
        received_at INTEGER NOT NULL,
        handled_at INTEGER
      ) STRICT;
      CREATE INDEX bridge_matrix_journal_pending ON bridge_matrix_journal (room_id, seq)
        WHERE handled_at IS NULL;
      CREATE INDEX bridge_matrix_journal_handled ON bridge_matrix_journal (handled_at)
        WHERE handled_at IS NOT NULL;

      -- The last Signal sent-timestamp given out per account: Signal identifies a message by its
      -- author and timestamp, so each message the bridge sends for an account gets a later one.
      CREATE TABLE bridge_signal_clocks (
        account_id TEXT PRIMARY KEY,
        last_sent_at INTEGER NOT NULL
      ) STRICT;
    `,
};
