import type { Migration } from "./migration.js";

export const senderKeyDistributions: Migration = {
  version: 4,
  description: "signal: per group, our sender key's distribution id and the member devices that hold it",
  sql: `
      CREATE TABLE signal_sender_key_distributions (
        account_id TEXT NOT NULL REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        group_id TEXT NOT NULL,
        distribution_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        -- JSON list of {serviceId, deviceId, registrationId}, sealed: it tells who is in the group
        shared_with_sealed BLOB NOT NULL,
        PRIMARY KEY (account_id, group_id)
      ) STRICT;
    `,
};
