import type { Migration } from "./migration.js";

export const relayMode: Migration = {
  version: 13,
  description: "bridge: the relay account of a portal, and whom a relayed Matrix message was sent for",
  sql: `
      -- The Matrix user whose Signal account sends, with their names, what Matrix users without a
      -- Signal login write in the portal (set-relay); NULL when the portal has no relay.
      ALTER TABLE bridge_portals ADD COLUMN relay_user_id TEXT;

      -- The Matrix user a relayed message was written by (NULL for a user's own messages): only
      -- they may edit or delete it on Signal through the relay.
      ALTER TABLE bridge_outgoing ADD COLUMN relayed_for TEXT;
    `,
};
