import type { Migration } from "./migration.js";

// Columns named *_sealed hold AES-256-GCM blobs under the account's data key (see sealing.ts);
// everything else is public (service ids, public keys) or needed in queries.
export const signalState: Migration = {
  version: 2,
  description: "Signal accounts, protocol stores, recipients and event buffer",
  sql: `
      CREATE TABLE signal_accounts (
        account_id TEXT PRIMARY KEY,
        data_key_wrapped BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        aci TEXT,
        pni TEXT,
        number TEXT,
        device_id INTEGER,
        device_name TEXT,
        registration_id INTEGER,
        pni_registration_id INTEGER,
        key_ids TEXT,
        signed_pre_key_rotated_at INTEGER,
        secrets_sealed BLOB
      ) STRICT;
      CREATE INDEX signal_accounts_aci ON signal_accounts (aci);

      CREATE TABLE signal_identities (
        account_id TEXT NOT NULL REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        service_id TEXT NOT NULL,
        public_key BLOB NOT NULL,
        verification TEXT NOT NULL CHECK (verification IN ('default', 'verified', 'unverified')),
        first_seen_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, service_id)
      ) STRICT;

      CREATE TABLE signal_sessions (
        account_id TEXT NOT NULL REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        ours TEXT NOT NULL CHECK (ours IN ('aci', 'pni')),
        service_id TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        record_sealed BLOB NOT NULL,
        PRIMARY KEY (account_id, ours, service_id, device_id)
      ) STRICT;

      CREATE TABLE signal_pre_keys (
        account_id TEXT NOT NULL REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        ours TEXT NOT NULL CHECK (ours IN ('aci', 'pni')),
        key_id INTEGER NOT NULL,
        record_sealed BLOB NOT NULL,
        PRIMARY KEY (account_id, ours, key_id)
      ) STRICT;

      -- Key ids wrap around, so "oldest first" needs its own order: seq grows with every insert
      -- (a replaced key counts as new) and, being an INTEGER PRIMARY KEY, survives VACUUM.
      CREATE TABLE signal_signed_pre_keys (
        seq INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        ours TEXT NOT NULL CHECK (ours IN ('aci', 'pni')),
        key_id INTEGER NOT NULL,
        record_sealed BLOB NOT NULL,
        UNIQUE (account_id, ours, key_id)
      ) STRICT;

      CREATE TABLE signal_kyber_pre_keys (
        seq INTEGER PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        ours TEXT NOT NULL CHECK (ours IN ('aci', 'pni')),
        key_id INTEGER NOT NULL,
        last_resort INTEGER NOT NULL CHECK (last_resort IN (0, 1)),
        record_sealed BLOB NOT NULL,
        UNIQUE (account_id, ours, key_id)
      ) STRICT;

      CREATE TABLE signal_kyber_base_keys_used (
        account_id TEXT NOT NULL REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        ours TEXT NOT NULL CHECK (ours IN ('aci', 'pni')),
        kyber_pre_key_id INTEGER NOT NULL,
        signed_pre_key_id INTEGER NOT NULL,
        base_key BLOB NOT NULL,
        PRIMARY KEY (account_id, ours, kyber_pre_key_id, signed_pre_key_id, base_key)
      ) STRICT;

      CREATE TABLE signal_sender_keys (
        account_id TEXT NOT NULL REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        service_id TEXT NOT NULL,
        device_id INTEGER NOT NULL,
        distribution_id TEXT NOT NULL,
        record_sealed BLOB NOT NULL,
        PRIMARY KEY (account_id, service_id, device_id, distribution_id)
      ) STRICT;

      CREATE TABLE signal_recipients (
        account_id TEXT NOT NULL REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        aci TEXT NOT NULL,
        pni TEXT,
        number TEXT,
        profile_key_sealed BLOB,
        profile_name TEXT,
        contact_name TEXT,
        PRIMARY KEY (account_id, aci)
      ) STRICT;

      -- seq (AUTOINCREMENT, never reused) gives the replay order across restarts.
      CREATE TABLE signal_event_buffer (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id TEXT NOT NULL REFERENCES signal_accounts (account_id) ON DELETE CASCADE,
        envelope_key TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
        payload_sealed BLOB,
        received_at INTEGER NOT NULL,
        done_at INTEGER,
        UNIQUE (account_id, envelope_key)
      ) STRICT;
      CREATE INDEX signal_event_buffer_state ON signal_event_buffer (account_id, state, done_at);
    `,
};
