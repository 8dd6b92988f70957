import type { Migration } from "./migration.js";

export const historyImports: Migration = {
  version: 8,
  description:
    "bridge: the message history transferred from the phone at link time, and its import into portals",
  sql: `
      -- One row per account whose phone offered its history when linking: waiting for the phone's
      -- archive, importing its chats, or done (outcome says how it went). Kept when done, so a
      -- restart does not start over.
      CREATE TABLE bridge_history_imports (
        account_id TEXT PRIMARY KEY REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        state TEXT NOT NULL CHECK (state IN ('waiting', 'importing', 'done')),
        archive_cdn INTEGER,
        archive_key TEXT,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        outcome TEXT
      ) STRICT;

      -- The chats an import brings in, in the order they are backfilled (newest first). The chat
      -- and its messages are sealed (they are the user's messages); next_item is how far its
      -- backfill got, cutoff the newest message the portal already showed when it began.
      CREATE TABLE bridge_history_chats (
        account_id TEXT NOT NULL REFERENCES bridge_history_imports (account_id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        portal_key TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
        next_item INTEGER NOT NULL DEFAULT 0,
        cutoff INTEGER,
        chat_sealed BLOB NOT NULL,
        PRIMARY KEY (account_id, position)
      ) STRICT;
      CREATE INDEX bridge_history_chats_by_portal ON bridge_history_chats (account_id, portal_key);
    `,
};
