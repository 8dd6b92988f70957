import type { Migration } from "./migration.js";

export const personalSpaces: Migration = {
  version: 12,
  description: "bridge: each user's personal Signal space",
  sql: `
      -- The space room (m.space) that holds the user's portals, once made.
      ALTER TABLE bridge_users ADD COLUMN space_room_id TEXT;
    `,
};
