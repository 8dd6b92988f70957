import type { Migration } from "./migration.js";

export const groups: Migration = {
  version: 5,
  description:
    "signal: each account's last known state of its groups (sealed); bridge: the group revision a portal shows",
  sql: `
      CREATE TABLE signal_groups (
        account_id TEXT NOT NULL REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        -- base64 group identifier: public, derived from the master key
        group_id TEXT NOT NULL,
        -- the client's serialization of the group, sealed: it holds the group's master key
        record_sealed BLOB NOT NULL,
        PRIMARY KEY (account_id, group_id)
      ) STRICT;

      -- The group revision whose state (name, topic, avatar, members, power levels) a group portal
      -- shows, so that a change is applied once however many linked members receive it; the
      -- revision up to which changes were told in notices (a member's account may reach a revision
      -- without the change that made it); and the CDN key of the group avatar the portal shows,
      -- so it is downloaded only when it changes.
      ALTER TABLE bridge_portals ADD COLUMN group_revision INTEGER;
      ALTER TABLE bridge_portals ADD COLUMN group_notice_revision INTEGER;
      ALTER TABLE bridge_portals ADD COLUMN group_avatar_key TEXT;
    `,
};
