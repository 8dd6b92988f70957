import type { Database } from "better-sqlite3";

import type {
  AccountRecord,
  BufferedEvent,
  IdentityRecord,
  IdentityVerification,
  KyberPreKeyEntry,
  OwnIdentity,
  RecipientRecord,
  SenderKeyDistributionRecord,
  SenderKeyHolder,
  SignalStorage,
  StorageWrite,
} from "../signal/index.js";

import { accountFromRow, accountToRow, type AccountColumns } from "./account-row.js";
import { AccountDeletedError } from "./errors.js";
import { open, rowBinding, seal } from "./sealing.js";

/** Done events keep their key this long, so a late redelivery is still recognised as seen. */
export const DONE_EVENT_RETENTION_MS = 14 * 24 * 60 * 60 * 1000;

/** Every encrypted column; its name is part of the associated data of the values it holds. */
type SealedColumn =
  | "signal_accounts.secrets_sealed"
  | "signal_sessions.record_sealed"
  | "signal_pre_keys.record_sealed"
  | "signal_signed_pre_keys.record_sealed"
  | "signal_kyber_pre_keys.record_sealed"
  | "signal_sender_keys.record_sealed"
  | "signal_sender_key_distributions.shared_with_sealed"
  | "signal_recipients.profile_key_sealed"
  | "signal_groups.record_sealed"
  | "signal_event_buffer.payload_sealed";

interface RecipientRow {
  pni: string | null;
  number: string | null;
  profile_key_sealed: Buffer | null;
  profile_name: string | null;
  contact_name: string | null;
}

/**
 * The Signal storage of one account in SQLite. Secret columns are sealed under the account's data
 * key with the value's place (table.column, account, primary key) as associated data.
 */
export class SqliteSignalStorage implements SignalStorage {
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly applyInTransaction: (writes: readonly StorageWrite[]) => void;

  constructor(
    db: Database,
    private readonly accountId: string,
    private readonly dataKey: Uint8Array,
    private readonly now: () => number,
  ) {
    this.statements = prepareStatements(db);
    this.applyInTransaction = db.transaction((writes: readonly StorageWrite[]) => {
      // A client still running for a logged-out account must not recreate its rows.
      if (this.statements.accountExists.get(accountId) === undefined) {
        throw new AccountDeletedError(
          `the Signal account ${accountId} was deleted from the store (logged out)`,
        );
      }
      for (const write of writes) this.apply(write);
    });
  }

  async commit(writes: readonly StorageWrite[]): Promise<void> {
    this.applyInTransaction(writes);
  }

  async getAccount(): Promise<AccountRecord | null> {
    const row = this.statements.getAccount.get(this.accountId) as
      (AccountColumns & { secrets_sealed: Buffer | null }) | undefined;
    if (row === undefined || row.secrets_sealed === null) return null;
    return accountFromRow(row, this.open(row.secrets_sealed, "signal_accounts.secrets_sealed"));
  }

  async getIdentity(serviceId: string): Promise<IdentityRecord | null> {
    const row = this.statements.getIdentity.get(this.accountId, serviceId) as
      { public_key: Buffer; verification: IdentityVerification; first_seen_at: number } | undefined;
    if (row === undefined) return null;
    return {
      publicKey: new Uint8Array(row.public_key),
      verification: row.verification,
      firstSeenAt: row.first_seen_at,
    };
  }

  async getSession(ours: OwnIdentity, serviceId: string, deviceId: number): Promise<Uint8Array | null> {
    const row = this.statements.getSession.get(this.accountId, ours, serviceId, deviceId) as
      { record_sealed: Buffer } | undefined;
    if (row === undefined) return null;
    return this.openBytes(row.record_sealed, "signal_sessions.record_sealed", ours, serviceId, deviceId);
  }

  async listSessionDevices(ours: OwnIdentity, serviceId: string): Promise<number[]> {
    return this.statements.listSessionDevices.all(this.accountId, ours, serviceId) as number[];
  }

  async getPreKey(ours: OwnIdentity, id: number): Promise<Uint8Array | null> {
    return this.getKey("signal_pre_keys.record_sealed", ours, id);
  }

  async getSignedPreKey(ours: OwnIdentity, id: number): Promise<Uint8Array | null> {
    return this.getKey("signal_signed_pre_keys.record_sealed", ours, id);
  }

  async listSignedPreKeyIds(ours: OwnIdentity): Promise<number[]> {
    return this.statements.listSignedPreKeyIds.all(this.accountId, ours) as number[];
  }

  async getKyberPreKey(ours: OwnIdentity, id: number): Promise<KyberPreKeyEntry | null> {
    const row = this.statements.getKyberPreKey.get(this.accountId, ours, id) as
      { record_sealed: Buffer; last_resort: number } | undefined;
    if (row === undefined) return null;
    return {
      record: this.openBytes(row.record_sealed, "signal_kyber_pre_keys.record_sealed", ours, id),
      lastResort: row.last_resort === 1,
    };
  }

  async listLastResortKyberPreKeyIds(ours: OwnIdentity): Promise<number[]> {
    return this.statements.listLastResortKyberPreKeyIds.all(this.accountId, ours) as number[];
  }

  async isKyberBaseKeyUsed(
    ours: OwnIdentity,
    id: number,
    signedPreKeyId: number,
    baseKey: Uint8Array,
  ): Promise<boolean> {
    return (
      this.statements.isKyberBaseKeyUsed.get(this.accountId, ours, id, signedPreKeyId, baseKey) !== undefined
    );
  }

  async getSenderKey(
    serviceId: string,
    deviceId: number,
    distributionId: string,
  ): Promise<Uint8Array | null> {
    const row = this.statements.getSenderKey.get(this.accountId, serviceId, deviceId, distributionId) as
      { record_sealed: Buffer } | undefined;
    if (row === undefined) return null;
    return this.openBytes(
      row.record_sealed,
      "signal_sender_keys.record_sealed",
      serviceId,
      deviceId,
      distributionId,
    );
  }

  async getSenderKeyDistribution(groupId: string): Promise<SenderKeyDistributionRecord | null> {
    const row = this.statements.getSenderKeyDistribution.get(this.accountId, groupId) as
      { distribution_id: string; created_at: number; shared_with_sealed: Buffer } | undefined;
    if (row === undefined) return null;
    const sharedWith = JSON.parse(
      this.open(
        row.shared_with_sealed,
        "signal_sender_key_distributions.shared_with_sealed",
        groupId,
      ).toString("utf8"),
    ) as SenderKeyHolder[];
    return { groupId, distributionId: row.distribution_id, createdAt: row.created_at, sharedWith };
  }

  async getRecipient(aci: string): Promise<RecipientRecord | null> {
    const row = this.statements.getRecipient.get(this.accountId, aci) as RecipientRow | undefined;
    return row === undefined ? null : this.recipientFrom({ ...row, aci });
  }

  async listRecipients(): Promise<RecipientRecord[]> {
    const rows = this.statements.listRecipients.all(this.accountId) as Array<RecipientRow & { aci: string }>;
    return rows.map((row) => this.recipientFrom(row));
  }

  private recipientFrom(row: RecipientRow & { aci: string }): RecipientRecord {
    return {
      aci: row.aci,
      pni: row.pni,
      number: row.number,
      profileKey:
        row.profile_key_sealed === null
          ? null
          : this.openBytes(row.profile_key_sealed, "signal_recipients.profile_key_sealed", row.aci),
      profileName: row.profile_name,
      contactName: row.contact_name,
    };
  }

  async getGroup(groupId: string): Promise<Uint8Array | null> {
    const row = this.statements.getGroup.get(this.accountId, groupId) as
      { record_sealed: Buffer } | undefined;
    return row === undefined
      ? null
      : this.openBytes(row.record_sealed, "signal_groups.record_sealed", groupId);
  }

  async getEvent(key: string): Promise<BufferedEvent | null> {
    const row = this.statements.getEvent.get(this.accountId, key) as
      { state: "pending" | "done"; payload_sealed: Buffer | null } | undefined;
    if (row === undefined) return null;
    return { key, state: row.state, payload: this.eventPayload(key, row.payload_sealed) };
  }

  async listPendingEvents(): Promise<BufferedEvent[]> {
    const rows = this.statements.listPendingEvents.all(this.accountId) as {
      envelope_key: string;
      payload_sealed: Buffer | null;
    }[];
    return rows.map((row) => ({
      key: row.envelope_key,
      state: "pending",
      payload: this.eventPayload(row.envelope_key, row.payload_sealed),
    }));
  }

  private apply(write: StorageWrite): void {
    const s = this.statements;
    const account = this.accountId;
    switch (write.type) {
      case "account": {
        const { columns, secrets } = accountToRow(write.account);
        s.putAccount.run({
          ...columns,
          account_id: account,
          secrets_sealed: this.seal(secrets, "signal_accounts.secrets_sealed"),
        });
        return;
      }
      case "identity":
        s.putIdentity.run(
          account,
          write.serviceId,
          write.identity.publicKey,
          write.identity.verification,
          write.identity.firstSeenAt,
        );
        return;
      case "session":
        s.putSession.run(
          account,
          write.ours,
          write.serviceId,
          write.deviceId,
          this.seal(
            write.record,
            "signal_sessions.record_sealed",
            write.ours,
            write.serviceId,
            write.deviceId,
          ),
        );
        return;
      case "session-delete":
        s.deleteSession.run(account, write.ours, write.serviceId, write.deviceId);
        return;
      case "pre-key":
        s.putPreKey.run(
          account,
          write.ours,
          write.id,
          this.seal(write.record, "signal_pre_keys.record_sealed", write.ours, write.id),
        );
        return;
      case "pre-key-delete":
        s.deletePreKey.run(account, write.ours, write.id);
        return;
      case "signed-pre-key":
        s.putSignedPreKey.run(
          account,
          write.ours,
          write.id,
          this.seal(write.record, "signal_signed_pre_keys.record_sealed", write.ours, write.id),
        );
        return;
      case "signed-pre-key-delete":
        s.deleteSignedPreKey.run(account, write.ours, write.id);
        return;
      case "kyber-pre-key":
        s.putKyberPreKey.run(
          account,
          write.ours,
          write.id,
          write.lastResort ? 1 : 0,
          this.seal(write.record, "signal_kyber_pre_keys.record_sealed", write.ours, write.id),
        );
        return;
      case "kyber-pre-key-delete":
        s.deleteKyberPreKey.run(account, write.ours, write.id);
        s.deleteKyberBaseKeys.run(account, write.ours, write.id);
        return;
      case "kyber-base-key-used":
        s.putKyberBaseKeyUsed.run(account, write.ours, write.id, write.signedPreKeyId, write.baseKey);
        return;
      case "sender-key":
        s.putSenderKey.run(
          account,
          write.serviceId,
          write.deviceId,
          write.distributionId,
          this.seal(
            write.record,
            "signal_sender_keys.record_sealed",
            write.serviceId,
            write.deviceId,
            write.distributionId,
          ),
        );
        return;
      case "sender-key-distribution": {
        const r = write.record;
        const holders = r.sharedWith.map(({ serviceId, deviceId, registrationId }) => ({
          serviceId,
          deviceId,
          registrationId,
        }));
        s.putSenderKeyDistribution.run(
          account,
          r.groupId,
          r.distributionId,
          r.createdAt,
          this.seal(
            Buffer.from(JSON.stringify(holders), "utf8"),
            "signal_sender_key_distributions.shared_with_sealed",
            r.groupId,
          ),
        );
        return;
      }
      case "recipient": {
        const r = write.recipient;
        const profileKey =
          r.profileKey === null
            ? null
            : this.seal(r.profileKey, "signal_recipients.profile_key_sealed", r.aci);
        s.putRecipient.run(account, r.aci, r.pni, r.number, profileKey, r.profileName, r.contactName);
        return;
      }
      case "group":
        s.putGroup.run(
          account,
          write.groupId,
          this.seal(write.record, "signal_groups.record_sealed", write.groupId),
        );
        return;
      case "event":
        s.insertEvent.run(
          account,
          write.key,
          this.seal(write.payload, "signal_event_buffer.payload_sealed", write.key),
          this.now(),
        );
        return;
      case "event-done": {
        const now = this.now();
        // The payload is the decrypted message: once handled it has no reason to stay on disk.
        s.markEventDone.run(now, account, write.key);
        s.pruneDoneEvents.run(account, now - DONE_EVENT_RETENTION_MS);
        return;
      }
      default: {
        const unknown: never = write;
        throw new TypeError(`unknown storage write ${JSON.stringify(unknown)}`);
      }
    }
  }

  private getKey(
    column: "signal_pre_keys.record_sealed" | "signal_signed_pre_keys.record_sealed",
    ours: OwnIdentity,
    id: number,
  ): Uint8Array | null {
    const statement =
      column === "signal_pre_keys.record_sealed"
        ? this.statements.getPreKey
        : this.statements.getSignedPreKey;
    const row = statement.get(this.accountId, ours, id) as { record_sealed: Buffer } | undefined;
    if (row === undefined) return null;
    return this.openBytes(row.record_sealed, column, ours, id);
  }

  private eventPayload(key: string, sealed: Buffer | null): Uint8Array {
    return sealed === null
      ? new Uint8Array(0)
      : this.openBytes(sealed, "signal_event_buffer.payload_sealed", key);
  }

  private binding(column: SealedColumn, rowKey: readonly (string | number)[]): Buffer {
    return rowBinding(column, this.accountId, ...rowKey);
  }

  private seal(plaintext: Uint8Array, column: SealedColumn, ...rowKey: (string | number)[]): Buffer {
    return seal(this.dataKey, plaintext, this.binding(column, rowKey));
  }

  private open(sealed: Uint8Array, column: SealedColumn, ...rowKey: (string | number)[]): Buffer {
    return open(this.dataKey, sealed, this.binding(column, rowKey));
  }

  private openBytes(sealed: Uint8Array, column: SealedColumn, ...rowKey: (string | number)[]): Uint8Array {
    return new Uint8Array(this.open(sealed, column, ...rowKey));
  }
}

function prepareStatements(db: Database) {
  return {
    accountExists: db.prepare(`SELECT 1 FROM signal_accounts WHERE account_id = ?`),
    getAccount: db.prepare(
      `SELECT aci, pni, number, device_id, device_name, registration_id, pni_registration_id, key_ids,
              signed_pre_key_rotated_at, secrets_sealed
         FROM signal_accounts WHERE account_id = ?`,
    ),
    putAccount: db.prepare(
      `UPDATE signal_accounts
          SET aci = @aci, pni = @pni, number = @number, device_id = @device_id, device_name = @device_name,
              registration_id = @registration_id, pni_registration_id = @pni_registration_id,
              key_ids = @key_ids, signed_pre_key_rotated_at = @signed_pre_key_rotated_at,
              secrets_sealed = @secrets_sealed
        WHERE account_id = @account_id`,
    ),
    getIdentity: db.prepare(
      `SELECT public_key, verification, first_seen_at FROM signal_identities
        WHERE account_id = ? AND service_id = ?`,
    ),
    putIdentity: db.prepare(
      `INSERT OR REPLACE INTO signal_identities
         (account_id, service_id, public_key, verification, first_seen_at)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    getSession: db.prepare(
      `SELECT record_sealed FROM signal_sessions
        WHERE account_id = ? AND ours = ? AND service_id = ? AND device_id = ?`,
    ),
    listSessionDevices: db
      .prepare(
        `SELECT device_id FROM signal_sessions
          WHERE account_id = ? AND ours = ? AND service_id = ? ORDER BY device_id`,
      )
      .pluck(),
    putSession: db.prepare(
      `INSERT OR REPLACE INTO signal_sessions (account_id, ours, service_id, device_id, record_sealed)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    deleteSession: db.prepare(
      `DELETE FROM signal_sessions WHERE account_id = ? AND ours = ? AND service_id = ? AND device_id = ?`,
    ),
    getPreKey: db.prepare(
      `SELECT record_sealed FROM signal_pre_keys WHERE account_id = ? AND ours = ? AND key_id = ?`,
    ),
    putPreKey: db.prepare(
      `INSERT OR REPLACE INTO signal_pre_keys (account_id, ours, key_id, record_sealed) VALUES (?, ?, ?, ?)`,
    ),
    deletePreKey: db.prepare(`DELETE FROM signal_pre_keys WHERE account_id = ? AND ours = ? AND key_id = ?`),
    getSignedPreKey: db.prepare(
      `SELECT record_sealed FROM signal_signed_pre_keys WHERE account_id = ? AND ours = ? AND key_id = ?`,
    ),
    listSignedPreKeyIds: db
      .prepare(`SELECT key_id FROM signal_signed_pre_keys WHERE account_id = ? AND ours = ? ORDER BY seq`)
      .pluck(),
    putSignedPreKey: db.prepare(
      `INSERT OR REPLACE INTO signal_signed_pre_keys (account_id, ours, key_id, record_sealed)
       VALUES (?, ?, ?, ?)`,
    ),
    deleteSignedPreKey: db.prepare(
      `DELETE FROM signal_signed_pre_keys WHERE account_id = ? AND ours = ? AND key_id = ?`,
    ),
    getKyberPreKey: db.prepare(
      `SELECT record_sealed, last_resort FROM signal_kyber_pre_keys
        WHERE account_id = ? AND ours = ? AND key_id = ?`,
    ),
    listLastResortKyberPreKeyIds: db
      .prepare(
        `SELECT key_id FROM signal_kyber_pre_keys
          WHERE account_id = ? AND ours = ? AND last_resort = 1 ORDER BY seq`,
      )
      .pluck(),
    putKyberPreKey: db.prepare(
      `INSERT OR REPLACE INTO signal_kyber_pre_keys (account_id, ours, key_id, last_resort, record_sealed)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    deleteKyberPreKey: db.prepare(
      `DELETE FROM signal_kyber_pre_keys WHERE account_id = ? AND ours = ? AND key_id = ?`,
    ),
    deleteKyberBaseKeys: db.prepare(
      `DELETE FROM signal_kyber_base_keys_used WHERE account_id = ? AND ours = ? AND kyber_pre_key_id = ?`,
    ),
    isKyberBaseKeyUsed: db.prepare(
      `SELECT 1 FROM signal_kyber_base_keys_used
        WHERE account_id = ? AND ours = ? AND kyber_pre_key_id = ?
          AND signed_pre_key_id = ? AND base_key = ?`,
    ),
    putKyberBaseKeyUsed: db.prepare(
      `INSERT OR IGNORE INTO signal_kyber_base_keys_used
         (account_id, ours, kyber_pre_key_id, signed_pre_key_id, base_key) VALUES (?, ?, ?, ?, ?)`,
    ),
    getSenderKey: db.prepare(
      `SELECT record_sealed FROM signal_sender_keys
        WHERE account_id = ? AND service_id = ? AND device_id = ? AND distribution_id = ?`,
    ),
    putSenderKey: db.prepare(
      `INSERT OR REPLACE INTO signal_sender_keys
         (account_id, service_id, device_id, distribution_id, record_sealed)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    getSenderKeyDistribution: db.prepare(
      `SELECT distribution_id, created_at, shared_with_sealed FROM signal_sender_key_distributions
        WHERE account_id = ? AND group_id = ?`,
    ),
    putSenderKeyDistribution: db.prepare(
      `INSERT OR REPLACE INTO signal_sender_key_distributions
         (account_id, group_id, distribution_id, created_at, shared_with_sealed)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    getRecipient: db.prepare(
      `SELECT pni, number, profile_key_sealed, profile_name, contact_name FROM signal_recipients
        WHERE account_id = ? AND aci = ?`,
    ),
    listRecipients: db.prepare(
      `SELECT aci, pni, number, profile_key_sealed, profile_name, contact_name FROM signal_recipients
        WHERE account_id = ?`,
    ),
    putRecipient: db.prepare(
      `INSERT OR REPLACE INTO signal_recipients
         (account_id, aci, pni, number, profile_key_sealed, profile_name, contact_name)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    getGroup: db.prepare(`SELECT record_sealed FROM signal_groups WHERE account_id = ? AND group_id = ?`),
    putGroup: db.prepare(
      `INSERT OR REPLACE INTO signal_groups (account_id, group_id, record_sealed) VALUES (?, ?, ?)`,
    ),
    getEvent: db.prepare(
      `SELECT state, payload_sealed FROM signal_event_buffer WHERE account_id = ? AND envelope_key = ?`,
    ),
    listPendingEvents: db.prepare(
      `SELECT envelope_key, payload_sealed FROM signal_event_buffer
        WHERE account_id = ? AND state = 'pending' ORDER BY seq`,
    ),
    insertEvent: db.prepare(
      `INSERT INTO signal_event_buffer (account_id, envelope_key, state, payload_sealed, received_at)
       VALUES (?, ?, 'pending', ?, ?)
       ON CONFLICT (account_id, envelope_key) DO NOTHING`,
    ),
    markEventDone: db.prepare(
      `UPDATE signal_event_buffer SET state = 'done', payload_sealed = NULL, done_at = ?
        WHERE account_id = ? AND envelope_key = ? AND state = 'pending'`,
    ),
    pruneDoneEvents: db.prepare(
      `DELETE FROM signal_event_buffer WHERE account_id = ? AND state = 'done' AND done_at < ?`,
    ),
  };
}
