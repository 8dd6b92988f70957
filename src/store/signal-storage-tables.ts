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
import type { SqlDatabase, SqlValue } from "./sql/sql-database.js";

/** How many recipients an account keeps decoded (see SignalStorageTables.recipients). */
const RECIPIENT_CACHE_SIZE = 256;

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
 * The Signal storage of one account, in either database. Secret columns are sealed under the account's data
 * key with the value's place (table.column, account, primary key) as associated data.
 */
export class SignalStorageTables implements SignalStorage {
  /**
   * Recipients read lately, decoded: bridging a message asks for its sender's several times (names,
   * profile), and each read opened the sealed profile key again. Every recipient write drops its
   * entry; `recipientWrites` keeps a read that overlapped a write from caching what it read.
   */
  private readonly recipients = new Map<string, Readonly<RecipientRecord> | null>();
  private recipientWrites = 0;

  constructor(
    private readonly db: SqlDatabase,
    private readonly accountId: string,
    private readonly dataKey: Uint8Array,
    private readonly now: () => number,
  ) {}

  async commit(writes: readonly StorageWrite[]): Promise<void> {
    // Sealing happens before the transaction opens, so the transaction holds the database for
    // its statements only.
    const statements = writes.map((write) => this.statementsOf(write));
    // Marking events done forgets those done long ago, once for a commit's marks however many.
    if (writes.some((write) => write.type === "event-done")) {
      statements.push([[SQL.pruneDoneEvents, [this.accountId, this.now() - DONE_EVENT_RETENTION_MS]]]);
    }
    const recipientsWritten = writes.flatMap((write) =>
      write.type === "recipient" ? [write.recipient.aci] : [],
    );
    this.forgetRecipients(recipientsWritten);
    try {
      await this.commitStatements(statements);
    } finally {
      this.forgetRecipients(recipientsWritten);
    }
  }

  private async commitStatements(statements: readonly [string, SqlValue[]][][]): Promise<void> {
    await this.db.transaction(async (tx) => {
      // A client still running for a logged-out account must not recreate its rows.
      if ((await tx.get(SQL.accountExists, [this.accountId])) === undefined) {
        throw new AccountDeletedError(
          `the Signal account ${this.accountId} was deleted from the store (logged out)`,
        );
      }
      for (const batch of statements) {
        for (const [sql, params] of batch) await tx.run(sql, params);
      }
    });
  }

  async getAccount(): Promise<AccountRecord | null> {
    const row = await this.db.get<AccountColumns & { secrets_sealed: Buffer | null }>(SQL.getAccount, [
      this.accountId,
    ]);
    if (row === undefined || row.secrets_sealed === null) return null;
    return accountFromRow(row, this.open(row.secrets_sealed, "signal_accounts.secrets_sealed"));
  }

  async getIdentity(serviceId: string): Promise<IdentityRecord | null> {
    const row = await this.db.get<{
      public_key: Buffer;
      verification: IdentityVerification;
      first_seen_at: number;
    }>(SQL.getIdentity, [this.accountId, serviceId]);
    if (row === undefined) return null;
    return {
      publicKey: new Uint8Array(row.public_key),
      verification: row.verification,
      firstSeenAt: row.first_seen_at,
    };
  }

  async getSession(ours: OwnIdentity, serviceId: string, deviceId: number): Promise<Uint8Array | null> {
    const row = await this.db.get<{ record_sealed: Buffer }>(SQL.getSession, [
      this.accountId,
      ours,
      serviceId,
      deviceId,
    ]);
    if (row === undefined) return null;
    return this.openBytes(row.record_sealed, "signal_sessions.record_sealed", ours, serviceId, deviceId);
  }

  async listSessionDevices(ours: OwnIdentity, serviceId: string): Promise<number[]> {
    const rows = await this.db.all<{ device_id: number }>(SQL.listSessionDevices, [
      this.accountId,
      ours,
      serviceId,
    ]);
    return rows.map((row) => row.device_id);
  }

  async getPreKey(ours: OwnIdentity, id: number): Promise<Uint8Array | null> {
    return this.getKey("signal_pre_keys.record_sealed", ours, id);
  }

  async getSignedPreKey(ours: OwnIdentity, id: number): Promise<Uint8Array | null> {
    return this.getKey("signal_signed_pre_keys.record_sealed", ours, id);
  }

  async listSignedPreKeyIds(ours: OwnIdentity): Promise<number[]> {
    const rows = await this.db.all<{ key_id: number }>(SQL.listSignedPreKeyIds, [this.accountId, ours]);
    return rows.map((row) => row.key_id);
  }

  async getKyberPreKey(ours: OwnIdentity, id: number): Promise<KyberPreKeyEntry | null> {
    const row = await this.db.get<{ record_sealed: Buffer; last_resort: number }>(SQL.getKyberPreKey, [
      this.accountId,
      ours,
      id,
    ]);
    if (row === undefined) return null;
    return {
      record: this.openBytes(row.record_sealed, "signal_kyber_pre_keys.record_sealed", ours, id),
      lastResort: row.last_resort === 1,
    };
  }

  async listLastResortKyberPreKeyIds(ours: OwnIdentity): Promise<number[]> {
    const rows = await this.db.all<{ key_id: number }>(SQL.listLastResortKyberPreKeyIds, [
      this.accountId,
      ours,
    ]);
    return rows.map((row) => row.key_id);
  }

  async isKyberBaseKeyUsed(
    ours: OwnIdentity,
    id: number,
    signedPreKeyId: number,
    baseKey: Uint8Array,
  ): Promise<boolean> {
    const row = await this.db.get(SQL.isKyberBaseKeyUsed, [
      this.accountId,
      ours,
      id,
      signedPreKeyId,
      baseKey,
    ]);
    return row !== undefined;
  }

  async getSenderKey(
    serviceId: string,
    deviceId: number,
    distributionId: string,
  ): Promise<Uint8Array | null> {
    const row = await this.db.get<{ record_sealed: Buffer }>(SQL.getSenderKey, [
      this.accountId,
      serviceId,
      deviceId,
      distributionId,
    ]);
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
    const row = await this.db.get<{
      distribution_id: string;
      created_at: number;
      shared_with_sealed: Buffer;
    }>(SQL.getSenderKeyDistribution, [this.accountId, groupId]);
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
    const cached = this.recipients.get(aci);
    if (cached !== undefined) return cached;
    const writesBefore = this.recipientWrites;
    const row = await this.db.get<RecipientRow>(SQL.getRecipient, [this.accountId, aci]);
    const record = row === undefined ? null : Object.freeze(this.recipientFrom({ ...row, aci }));
    if (this.recipientWrites === writesBefore) {
      if (this.recipients.size >= RECIPIENT_CACHE_SIZE) {
        this.recipients.delete(this.recipients.keys().next().value!);
      }
      this.recipients.set(aci, record);
    }
    return record;
  }

  private forgetRecipients(acis: readonly string[]): void {
    if (acis.length === 0) return;
    this.recipientWrites++;
    for (const aci of acis) this.recipients.delete(aci);
  }

  async listRecipients(): Promise<RecipientRecord[]> {
    const rows = await this.db.all<RecipientRow & { aci: string }>(SQL.listRecipients, [this.accountId]);
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
    const row = await this.db.get<{ record_sealed: Buffer }>(SQL.getGroup, [this.accountId, groupId]);
    return row === undefined
      ? null
      : this.openBytes(row.record_sealed, "signal_groups.record_sealed", groupId);
  }

  async getEvent(key: string): Promise<BufferedEvent | null> {
    const row = await this.db.get<{ state: "pending" | "done"; payload_sealed: Buffer | null }>(
      SQL.getEvent,
      [this.accountId, key],
    );
    if (row === undefined) return null;
    return { key, state: row.state, payload: this.eventPayload(key, row.payload_sealed) };
  }

  async listPendingEvents(): Promise<BufferedEvent[]> {
    const rows = await this.db.all<{ envelope_key: string; payload_sealed: Buffer | null }>(
      SQL.listPendingEvents,
      [this.accountId],
    );
    return rows.map((row) => ({
      key: row.envelope_key,
      state: "pending",
      payload: this.eventPayload(row.envelope_key, row.payload_sealed),
    }));
  }

  /** The statements that carry out one write, its secrets sealed. */
  private statementsOf(write: StorageWrite): Array<[string, SqlValue[]]> {
    const account = this.accountId;
    switch (write.type) {
      case "account": {
        const { columns: c, secrets } = accountToRow(write.account);
        const sealed = this.seal(secrets, "signal_accounts.secrets_sealed");
        const values = [c.aci, c.pni, c.number, c.device_id, c.device_name, c.registration_id];
        values.push(c.pni_registration_id, c.key_ids, c.signed_pre_key_rotated_at);
        return [[SQL.putAccount, [...values, sealed, account]]];
      }
      case "identity": {
        const { publicKey, verification, firstSeenAt } = write.identity;
        return [[SQL.putIdentity, [account, write.serviceId, publicKey, verification, firstSeenAt]]];
      }
      case "session": {
        const { ours, serviceId, deviceId } = write;
        const sealed = this.seal(write.record, "signal_sessions.record_sealed", ours, serviceId, deviceId);
        return [[SQL.putSession, [account, ours, serviceId, deviceId, sealed]]];
      }
      case "session-delete":
        return [[SQL.deleteSession, [account, write.ours, write.serviceId, write.deviceId]]];
      case "pre-key": {
        const sealed = this.seal(write.record, "signal_pre_keys.record_sealed", write.ours, write.id);
        return [[SQL.putPreKey, [account, write.ours, write.id, sealed]]];
      }
      case "pre-key-delete":
        return [[SQL.deletePreKey, [account, write.ours, write.id]]];
      case "signed-pre-key": {
        const sealed = this.seal(write.record, "signal_signed_pre_keys.record_sealed", write.ours, write.id);
        // Deleted and inserted, not updated: a replaced key counts as new in the oldest-first order.
        return [
          [SQL.deleteSignedPreKey, [account, write.ours, write.id]],
          [SQL.insertSignedPreKey, [account, write.ours, write.id, sealed]],
        ];
      }
      case "signed-pre-key-delete":
        return [[SQL.deleteSignedPreKey, [account, write.ours, write.id]]];
      case "kyber-pre-key": {
        const sealed = this.seal(write.record, "signal_kyber_pre_keys.record_sealed", write.ours, write.id);
        return [
          [SQL.deleteKyberPreKey, [account, write.ours, write.id]],
          [SQL.insertKyberPreKey, [account, write.ours, write.id, write.lastResort ? 1 : 0, sealed]],
        ];
      }
      case "kyber-pre-key-delete":
        return [
          [SQL.deleteKyberPreKey, [account, write.ours, write.id]],
          [SQL.deleteKyberBaseKeys, [account, write.ours, write.id]],
        ];
      case "kyber-base-key-used":
        return [
          [SQL.putKyberBaseKeyUsed, [account, write.ours, write.id, write.signedPreKeyId, write.baseKey]],
        ];
      case "sender-key": {
        const { serviceId, deviceId, distributionId } = write;
        const sealed = this.seal(
          write.record,
          "signal_sender_keys.record_sealed",
          serviceId,
          deviceId,
          distributionId,
        );
        return [[SQL.putSenderKey, [account, serviceId, deviceId, distributionId, sealed]]];
      }
      case "sender-key-distribution": {
        const r = write.record;
        const holders = r.sharedWith.map(({ serviceId, deviceId, registrationId }) => ({
          serviceId,
          deviceId,
          registrationId,
        }));
        const sealed = this.seal(
          Buffer.from(JSON.stringify(holders), "utf8"),
          "signal_sender_key_distributions.shared_with_sealed",
          r.groupId,
        );
        return [[SQL.putSenderKeyDistribution, [account, r.groupId, r.distributionId, r.createdAt, sealed]]];
      }
      case "recipient": {
        const r = write.recipient;
        const profileKey =
          r.profileKey === null
            ? null
            : this.seal(r.profileKey, "signal_recipients.profile_key_sealed", r.aci);
        return [
          [SQL.putRecipient, [account, r.aci, r.pni, r.number, profileKey, r.profileName, r.contactName]],
        ];
      }
      case "group": {
        const sealed = this.seal(write.record, "signal_groups.record_sealed", write.groupId);
        return [[SQL.putGroup, [account, write.groupId, sealed]]];
      }
      case "event": {
        const sealed = this.seal(write.payload, "signal_event_buffer.payload_sealed", write.key);
        return [[SQL.insertEvent, [account, write.key, sealed, this.now()]]];
      }
      case "event-done":
        // The payload is the decrypted message: once handled it has no reason to stay on disk.
        // (Old done events are pruned once per commit, see commit().)
        return [[SQL.markEventDone, [this.now(), account, write.key]]];
      default: {
        const unknown: never = write;
        throw new TypeError(`unknown storage write ${JSON.stringify(unknown)}`);
      }
    }
  }

  private async getKey(
    column: "signal_pre_keys.record_sealed" | "signal_signed_pre_keys.record_sealed",
    ours: OwnIdentity,
    id: number,
  ): Promise<Uint8Array | null> {
    const sql = column === "signal_pre_keys.record_sealed" ? SQL.getPreKey : SQL.getSignedPreKey;
    const row = await this.db.get<{ record_sealed: Buffer }>(sql, [this.accountId, ours, id]);
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

/** Every statement of this file, in the SQL both databases understand. */
const SQL = {
  accountExists: `SELECT 1 AS found FROM signal_accounts WHERE account_id = ?`,
  getAccount: `SELECT aci, pni, number, device_id, device_name, registration_id, pni_registration_id, key_ids,
                      signed_pre_key_rotated_at, secrets_sealed
                 FROM signal_accounts WHERE account_id = ?`,
  putAccount: `UPDATE signal_accounts
                  SET aci = ?, pni = ?, number = ?, device_id = ?, device_name = ?, registration_id = ?,
                      pni_registration_id = ?, key_ids = ?, signed_pre_key_rotated_at = ?, secrets_sealed = ?
                WHERE account_id = ?`,
  getIdentity: `SELECT public_key, verification, first_seen_at FROM signal_identities
                 WHERE account_id = ? AND service_id = ?`,
  putIdentity: `INSERT INTO signal_identities (account_id, service_id, public_key, verification, first_seen_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (account_id, service_id) DO UPDATE SET public_key = excluded.public_key,
                  verification = excluded.verification, first_seen_at = excluded.first_seen_at`,
  getSession: `SELECT record_sealed FROM signal_sessions
                WHERE account_id = ? AND ours = ? AND service_id = ? AND device_id = ?`,
  listSessionDevices: `SELECT device_id FROM signal_sessions
                        WHERE account_id = ? AND ours = ? AND service_id = ? ORDER BY device_id`,
  putSession: `INSERT INTO signal_sessions (account_id, ours, service_id, device_id, record_sealed)
               VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (account_id, ours, service_id, device_id) DO UPDATE SET record_sealed = excluded.record_sealed`,
  deleteSession: `DELETE FROM signal_sessions WHERE account_id = ? AND ours = ? AND service_id = ? AND device_id = ?`,
  getPreKey: `SELECT record_sealed FROM signal_pre_keys WHERE account_id = ? AND ours = ? AND key_id = ?`,
  putPreKey: `INSERT INTO signal_pre_keys (account_id, ours, key_id, record_sealed) VALUES (?, ?, ?, ?)
              ON CONFLICT (account_id, ours, key_id) DO UPDATE SET record_sealed = excluded.record_sealed`,
  deletePreKey: `DELETE FROM signal_pre_keys WHERE account_id = ? AND ours = ? AND key_id = ?`,
  getSignedPreKey: `SELECT record_sealed FROM signal_signed_pre_keys WHERE account_id = ? AND ours = ? AND key_id = ?`,
  listSignedPreKeyIds: `SELECT key_id FROM signal_signed_pre_keys WHERE account_id = ? AND ours = ? ORDER BY seq`,
  insertSignedPreKey: `INSERT INTO signal_signed_pre_keys (account_id, ours, key_id, record_sealed) VALUES (?, ?, ?, ?)`,
  deleteSignedPreKey: `DELETE FROM signal_signed_pre_keys WHERE account_id = ? AND ours = ? AND key_id = ?`,
  getKyberPreKey: `SELECT record_sealed, last_resort FROM signal_kyber_pre_keys
                    WHERE account_id = ? AND ours = ? AND key_id = ?`,
  listLastResortKyberPreKeyIds: `SELECT key_id FROM signal_kyber_pre_keys
                                  WHERE account_id = ? AND ours = ? AND last_resort = 1 ORDER BY seq`,
  insertKyberPreKey: `INSERT INTO signal_kyber_pre_keys (account_id, ours, key_id, last_resort, record_sealed)
                      VALUES (?, ?, ?, ?, ?)`,
  deleteKyberPreKey: `DELETE FROM signal_kyber_pre_keys WHERE account_id = ? AND ours = ? AND key_id = ?`,
  deleteKyberBaseKeys: `DELETE FROM signal_kyber_base_keys_used WHERE account_id = ? AND ours = ? AND kyber_pre_key_id = ?`,
  isKyberBaseKeyUsed: `SELECT 1 AS found FROM signal_kyber_base_keys_used
                        WHERE account_id = ? AND ours = ? AND kyber_pre_key_id = ?
                          AND signed_pre_key_id = ? AND base_key = ?`,
  putKyberBaseKeyUsed: `INSERT INTO signal_kyber_base_keys_used
                          (account_id, ours, kyber_pre_key_id, signed_pre_key_id, base_key) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT DO NOTHING`,
  getSenderKey: `SELECT record_sealed FROM signal_sender_keys
                  WHERE account_id = ? AND service_id = ? AND device_id = ? AND distribution_id = ?`,
  putSenderKey: `INSERT INTO signal_sender_keys (account_id, service_id, device_id, distribution_id, record_sealed)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (account_id, service_id, device_id, distribution_id)
                 DO UPDATE SET record_sealed = excluded.record_sealed`,
  getSenderKeyDistribution: `SELECT distribution_id, created_at, shared_with_sealed FROM signal_sender_key_distributions
                              WHERE account_id = ? AND group_id = ?`,
  putSenderKeyDistribution: `INSERT INTO signal_sender_key_distributions
                               (account_id, group_id, distribution_id, created_at, shared_with_sealed)
                             VALUES (?, ?, ?, ?, ?)
                             ON CONFLICT (account_id, group_id) DO UPDATE SET distribution_id = excluded.distribution_id,
                               created_at = excluded.created_at, shared_with_sealed = excluded.shared_with_sealed`,
  getRecipient: `SELECT pni, number, profile_key_sealed, profile_name, contact_name FROM signal_recipients
                  WHERE account_id = ? AND aci = ?`,
  listRecipients: `SELECT aci, pni, number, profile_key_sealed, profile_name, contact_name FROM signal_recipients
                    WHERE account_id = ?`,
  putRecipient: `INSERT INTO signal_recipients (account_id, aci, pni, number, profile_key_sealed, profile_name, contact_name)
                 VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (account_id, aci) DO UPDATE SET pni = excluded.pni, number = excluded.number,
                   profile_key_sealed = excluded.profile_key_sealed, profile_name = excluded.profile_name,
                   contact_name = excluded.contact_name`,
  getGroup: `SELECT record_sealed FROM signal_groups WHERE account_id = ? AND group_id = ?`,
  putGroup: `INSERT INTO signal_groups (account_id, group_id, record_sealed) VALUES (?, ?, ?)
             ON CONFLICT (account_id, group_id) DO UPDATE SET record_sealed = excluded.record_sealed`,
  getEvent: `SELECT state, payload_sealed FROM signal_event_buffer WHERE account_id = ? AND envelope_key = ?`,
  listPendingEvents: `SELECT envelope_key, payload_sealed FROM signal_event_buffer
                       WHERE account_id = ? AND state = 'pending' ORDER BY seq`,
  insertEvent: `INSERT INTO signal_event_buffer (account_id, envelope_key, state, payload_sealed, received_at)
                VALUES (?, ?, 'pending', ?, ?)
                ON CONFLICT (account_id, envelope_key) DO NOTHING`,
  markEventDone: `UPDATE signal_event_buffer SET state = 'done', payload_sealed = NULL, done_at = ?
                   WHERE account_id = ? AND envelope_key = ? AND state = 'pending'`,
  pruneDoneEvents: `DELETE FROM signal_event_buffer WHERE account_id = ? AND state = 'done' AND done_at < ?`,
};
