import type { Migration } from "./migration.js";

export const matrixCrypto: Migration = {
  version: 9,
  description: "bridge: the bot's Matrix crypto state (its device, Olm account, sessions, room keys)",
  sql: `
      -- The crypto library keeps its state in IndexedDB databases; each database's schema and each
      -- of its records is mirrored here, sealed under the crypto data key (wrapped by the bridge key,
      -- in store_meta). Ids are keyed hashes, so names and keys are not readable either.
      CREATE TABLE bridge_crypto_databases (
        database_id BLOB PRIMARY KEY,
        body BLOB NOT NULL
      ) STRICT;
      CREATE TABLE bridge_crypto_records (
        record_id BLOB PRIMARY KEY,
        database_id BLOB NOT NULL,
        store_id BLOB NOT NULL,
        body BLOB NOT NULL
      ) STRICT;
      CREATE INDEX bridge_crypto_records_store ON bridge_crypto_records (store_id);
      CREATE INDEX bridge_crypto_records_database ON bridge_crypto_records (database_id);

      -- Single values of the bot's device (its id and access token, the /sync position), sealed.
      CREATE TABLE bridge_crypto_values (
        name TEXT PRIMARY KEY,
        body BLOB NOT NULL
      ) STRICT;

      -- Rooms told once that this bridge does not take part in encrypted rooms.
      CREATE TABLE bridge_encryption_notices (
        room_id TEXT PRIMARY KEY,
        noticed_at INTEGER NOT NULL
      ) STRICT;
    `,
};
