import type { Migration } from "./migration.js";

// Lookups that ran over whole tables: the portal of a Matrix event's room (every event from the
// homeserver), a user's direct portals, and the Matrix events of one of our Signal messages in
// any room (every delivery and read receipt). Each cost grew with all portals or all messages
// ever bridged.
export const lookupIndexes: Migration = {
  version: 15,
  description: "bridge: indexes for portal-by-room, portals-of-user and message-by-author lookups",
  sql: `
      CREATE INDEX bridge_portals_by_room ON bridge_portals (room_id);
      CREATE INDEX bridge_portals_by_receiver ON bridge_portals (receiver);
      CREATE INDEX bridge_messages_by_author ON bridge_messages (author_aci, sent_at);
    `,
};
