import type { Migration } from "./migration.js";

export const messageRequests: Migration = {
  version: 14,
  description:
    "bridge: message requests waiting for the user's answer, and chats each user accepted or blocked",
  sql: `
      -- A direct portal opened by someone who is no contact and shares no group with the user:
      -- nothing is sent back (messages, read receipts, typing) until the user accepts it.
      ALTER TABLE bridge_portals ADD COLUMN message_request INTEGER NOT NULL DEFAULT 0;

      -- What a Matrix user decided about a chat (a contact's ACI or a base64 group id): accepted
      -- its message request, or blocked it (on the phone, or with the block command).
      CREATE TABLE bridge_chat_states (
        user_id TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('accepted', 'blocked')),
        PRIMARY KEY (user_id, chat_id)
      ) STRICT;
    `,
};
