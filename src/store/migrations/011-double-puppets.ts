import type { Migration } from "./migration.js";

export const doublePuppets: Migration = {
  version: 11,
  description: "bridge: Matrix access tokens users gave with login-matrix, sealed",
  sql: `
      -- A user's own Matrix access token, for double puppeting on servers without a configured
      -- secret. Sealed under the account's data key: it lets its holder act as the user on Matrix.
      -- Goes with the account (Signal logout) or with logout-matrix.
      CREATE TABLE bridge_double_puppets (
        account_id TEXT PRIMARY KEY REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        token_sealed BLOB NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
    `,
};
