import { createHmac, randomBytes } from "node:crypto";

import { KEY_MISMATCH_MESSAGE } from "./bridge-key.js";
import { CorruptRecordError, KeyMismatchError } from "./errors.js";
import { KEY_BYTES, open, rowBinding, seal } from "./sealing.js";
import type { SqlDatabase, SqlExecutor } from "./sql/sql-database.js";

/** What one committed transaction of a crypto database changed. */
export interface CryptoDatabaseChange {
  /**
   * The database's schema after an upgrade: an opaque description, and the stores it has. Records
   * of stores no longer among them are removed.
   */
  schema?: { body: Uint8Array; stores: readonly string[] };
  /** Stores emptied in this transaction; applied before `put` and `deleted`. */
  cleared: readonly string[];
  /** Records written: `key` names the record within its store (any stable string), `body` is opaque. */
  put: readonly { store: string; key: string; body: Uint8Array }[];
  deleted: readonly { store: string; key: string }[];
}

const DATA_KEY_NAME = "matrix_crypto_data_key";
const DATA_KEY_BINDING = rowBinding("store_meta.value", DATA_KEY_NAME);

/**
 * The bot's Matrix crypto state: the crypto library's databases mirrored record by record, and a
 * few single values (device, access token, sync position). Everything is sealed under a data key of
 * its own, wrapped by the bridge key, so no Signal login (or its removal) touches it. Row ids are
 * keyed hashes of database, store and record key: a reader of the file learns how many records
 * there are, not what they are.
 */
export class MatrixCryptoTables {
  private keys: { data: Buffer; ids: Buffer } | undefined;

  constructor(
    private readonly db: SqlDatabase,
    private readonly bridgeKey: Buffer,
    private readonly now: () => number,
  ) {}

  /** Every mirrored database: its name and the schema last committed for it. */
  async databases(): Promise<{ name: string; schema: Buffer }[]> {
    const { data } = await this.cryptoKeys();
    const rows = await this.db.all<{ database_id: Buffer; body: Buffer }>(
      "SELECT database_id, body FROM bridge_crypto_databases",
    );
    return rows.map((row) => {
      const plain = open(data, row.body, databaseBinding(row.database_id));
      const nameLength = plain.readUInt32BE(0);
      return {
        name: plain.subarray(4, 4 + nameLength).toString("utf8"),
        schema: plain.subarray(4 + nameLength),
      };
    });
  }

  /** The bodies of every record of `database`, in no particular order. */
  async records(database: string): Promise<Buffer[]> {
    const keys = await this.cryptoKeys();
    const rows = await this.db.all<{ record_id: Buffer; body: Buffer }>(
      "SELECT record_id, body FROM bridge_crypto_records WHERE database_id = ?",
      [id(keys, "database", database)],
    );
    return rows.map((row) => open(keys.data, row.body, recordBinding(row.record_id)));
  }

  /** Applies one transaction's changes in one commit. */
  async commit(database: string, change: CryptoDatabaseChange): Promise<void> {
    const keys = await this.cryptoKeys();
    const databaseId = id(keys, "database", database);
    const storeId = (store: string) => id(keys, "store", database, store);
    await this.db.transaction(async (tx) => {
      if (change.schema) {
        const name = Buffer.from(database, "utf8");
        const length = Buffer.alloc(4);
        length.writeUInt32BE(name.length);
        const plain = Buffer.concat([length, name, change.schema.body]);
        await tx.run(
          `INSERT INTO bridge_crypto_databases (database_id, body) VALUES (?, ?)
           ON CONFLICT (database_id) DO UPDATE SET body = excluded.body`,
          [databaseId, seal(keys.data, plain, databaseBinding(databaseId))],
        );
        const kept = new Set(change.schema.stores.map((store) => storeId(store).toString("hex")));
        const stored = await tx.all<{ store_id: Buffer }>(
          "SELECT DISTINCT store_id FROM bridge_crypto_records WHERE database_id = ?",
          [databaseId],
        );
        for (const { store_id } of stored) {
          if (!kept.has(store_id.toString("hex"))) await clearStore(tx, store_id);
        }
      }
      for (const store of change.cleared) await clearStore(tx, storeId(store));
      for (const record of change.put) {
        const recordId = id(keys, "record", database, record.store, record.key);
        await tx.run(
          `INSERT INTO bridge_crypto_records (record_id, database_id, store_id, body) VALUES (?, ?, ?, ?)
           ON CONFLICT (record_id) DO UPDATE SET body = excluded.body`,
          [
            recordId,
            databaseId,
            storeId(record.store),
            seal(keys.data, record.body, recordBinding(recordId)),
          ],
        );
      }
      for (const record of change.deleted) {
        await tx.run("DELETE FROM bridge_crypto_records WHERE record_id = ?", [
          id(keys, "record", database, record.store, record.key),
        ]);
      }
    });
  }

  /** Forgets every mirrored database (the state of a device that no longer exists); values stay. */
  async resetDatabases(): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run("DELETE FROM bridge_crypto_records");
      await tx.run("DELETE FROM bridge_crypto_databases");
    });
  }

  async value(name: string): Promise<Buffer | undefined> {
    const row = await this.db.get<{ body: Buffer }>("SELECT body FROM bridge_crypto_values WHERE name = ?", [
      name,
    ]);
    if (row === undefined) return undefined;
    const { data } = await this.cryptoKeys();
    return open(data, row.body, valueBinding(name));
  }

  async setValue(name: string, value: Uint8Array): Promise<void> {
    const { data } = await this.cryptoKeys();
    await this.db.run(
      `INSERT INTO bridge_crypto_values (name, body) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET body = excluded.body`,
      [name, seal(data, value, valueBinding(name))],
    );
  }

  async deleteValue(name: string): Promise<void> {
    await this.db.run("DELETE FROM bridge_crypto_values WHERE name = ?", [name]);
  }

  /** Records that `roomId` was told encryption is off; false if it had been told before. */
  async markEncryptionNotice(roomId: string): Promise<boolean> {
    const { changes } = await this.db.run(
      "INSERT INTO bridge_encryption_notices (room_id, noticed_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
      [roomId, this.now()],
    );
    return changes === 1;
  }

  /** The crypto data key, created (and stored wrapped) the first time crypto state is used. */
  private async cryptoKeys(): Promise<{ data: Buffer; ids: Buffer }> {
    if (this.keys) return this.keys;
    const data = await this.db.transaction(async (tx) => {
      const row = await tx.get<{ value: Buffer }>("SELECT value FROM store_meta WHERE name = ?", [
        DATA_KEY_NAME,
      ]);
      if (row !== undefined) return this.unwrap(row.value);
      const created = randomBytes(KEY_BYTES);
      await tx.run("INSERT INTO store_meta (name, value) VALUES (?, ?)", [
        DATA_KEY_NAME,
        seal(this.bridgeKey, created, DATA_KEY_BINDING),
      ]);
      return created;
    });
    this.keys ??= { data, ids: createHmac("sha256", data).update("bridge_crypto row ids v1").digest() };
    return this.keys;
  }

  private unwrap(wrapped: Buffer): Buffer {
    try {
      return open(this.bridgeKey, wrapped, DATA_KEY_BINDING);
    } catch (error) {
      if (error instanceof CorruptRecordError) {
        throw new KeyMismatchError(
          `${KEY_MISMATCH_MESSAGE}: the Matrix crypto data key cannot be decrypted with the configured key file`,
        );
      }
      throw error;
    }
  }
}

/** A row id: a keyed hash of database, store and record key, so the file does not name them. */
function id(keys: { ids: Buffer }, ...parts: string[]): Buffer {
  return createHmac("sha256", keys.ids)
    .update(rowBinding(...parts))
    .digest();
}

async function clearStore(tx: SqlExecutor, storeId: Buffer): Promise<void> {
  await tx.run("DELETE FROM bridge_crypto_records WHERE store_id = ?", [storeId]);
}

const databaseBinding = (id: Buffer) => rowBinding("bridge_crypto_databases.body", id.toString("hex"));
const recordBinding = (id: Buffer) => rowBinding("bridge_crypto_records.body", id.toString("hex"));
const valueBinding = (name: string) => rowBinding("bridge_crypto_values.body", name);
