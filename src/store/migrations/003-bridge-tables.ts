import type { Migration } from "./migration.js";

export const bridgeTables: Migration = {
  version: 3,
  description: "bridge tables: users, portals, message and reaction mapping, outgoing sends, ghosts",
  sql: `
      CREATE TABLE bridge_users (
        matrix_user_id TEXT PRIMARY KEY,
        management_room_id TEXT
      ) STRICT;

      CREATE TABLE bridge_portals (
        portal_key TEXT PRIMARY KEY,
        room_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
        -- contact ACI for direct chats, base64 group identifier for groups
        chat_id TEXT NOT NULL,
        -- the Matrix user a direct chat belongs to; NULL for groups (shared by all members)
        receiver TEXT,
        name TEXT,
        topic TEXT,
        avatar_url TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;

      -- One row per Matrix event standing for (a part of) a Signal message in one room.
      CREATE TABLE bridge_messages (
        room_id TEXT NOT NULL,
        author_aci TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        part INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        PRIMARY KEY (room_id, author_aci, sent_at, part)
      ) STRICT;
      CREATE UNIQUE INDEX bridge_messages_by_event ON bridge_messages (event_id);

      -- The reaction each Signal user has on a message in a room (Signal allows one per user).
      CREATE TABLE bridge_reactions (
        room_id TEXT NOT NULL,
        reactor_aci TEXT NOT NULL,
        target_author_aci TEXT NOT NULL,
        target_sent_at INTEGER NOT NULL,
        emoji TEXT NOT NULL,
        event_id TEXT NOT NULL,
        PRIMARY KEY (room_id, reactor_aci, target_author_aci, target_sent_at)
      ) STRICT;
      CREATE UNIQUE INDEX bridge_reactions_by_event ON bridge_reactions (event_id);

      -- Matrix events being sent to Signal: claimed before sending so a retried transaction
      -- resends with the same Signal timestamp (recipients deduplicate on it) instead of twice.
      CREATE TABLE bridge_outgoing (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed'))
      ) STRICT;

      CREATE TABLE bridge_ghosts (
        aci TEXT PRIMARY KEY,
        display_name TEXT,
        avatar_url TEXT,
        avatar_hash TEXT
      ) STRICT;
    `,
};
