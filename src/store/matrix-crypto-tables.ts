import { createHmac, randomBytes } from "node:crypto";

import type { Database, Statement } from "better-sqlite3";

import { KEY_MISMATCH_MESSAGE } from "./bridge-key.js";
import { CorruptRecordError, KeyMismatchError } from "./errors.js";
import { KEY_BYTES, open, rowBinding, seal } from "./sealing.js";

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
  private readonly statements: {
    databases: Statement;
    saveDatabase: Statement;
    records: Statement;
    putRecord: Statement;
    deleteRecord: Statement;
    clearStore: Statement;
    storesOf: Statement;
    value: Statement;
    setValue: Statement;
    deleteValue: Statement;
    noticeRoom: Statement;
  };

  constructor(
    private readonly db: Database,
    private readonly bridgeKey: Buffer,
    private readonly now: () => number,
  ) {
    this.statements = {
      databases: db.prepare("SELECT database_id, body FROM bridge_crypto_databases"),
      saveDatabase: db.prepare(
        `INSERT INTO bridge_crypto_databases (database_id, body) VALUES (?, ?)
         ON CONFLICT (database_id) DO UPDATE SET body = excluded.body`,
      ),
      records: db.prepare("SELECT record_id, body FROM bridge_crypto_records WHERE database_id = ?"),
      putRecord: db.prepare(
        `INSERT INTO bridge_crypto_records (record_id, database_id, store_id, body) VALUES (?, ?, ?, ?)
         ON CONFLICT (record_id) DO UPDATE SET body = excluded.body`,
      ),
      deleteRecord: db.prepare("DELETE FROM bridge_crypto_records WHERE record_id = ?"),
      clearStore: db.prepare("DELETE FROM bridge_crypto_records WHERE store_id = ?"),
      storesOf: db
        .prepare("SELECT DISTINCT store_id FROM bridge_crypto_records WHERE database_id = ?")
        .pluck(),
      value: db.prepare("SELECT body FROM bridge_crypto_values WHERE name = ?").pluck(),
      setValue: db.prepare(
        `INSERT INTO bridge_crypto_values (name, body) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET body = excluded.body`,
      ),
      deleteValue: db.prepare("DELETE FROM bridge_crypto_values WHERE name = ?"),
      noticeRoom: db.prepare(
        "INSERT INTO bridge_encryption_notices (room_id, noticed_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
      ),
    };
  }

  /** Every mirrored database: its name and the schema last committed for it. */
  databases(): { name: string; schema: Buffer }[] {
    const rows = this.statements.databases.all() as { database_id: Buffer; body: Buffer }[];
    return rows.map((row) => {
      const plain = open(this.dataKey(), row.body, databaseBinding(row.database_id));
      const nameLength = plain.readUInt32BE(0);
      return {
        name: plain.subarray(4, 4 + nameLength).toString("utf8"),
        schema: plain.subarray(4 + nameLength),
      };
    });
  }

  /** The bodies of every record of `database`, in no particular order. */
  records(database: string): Buffer[] {
    const rows = this.statements.records.all(this.id("database", database)) as {
      record_id: Buffer;
      body: Buffer;
    }[];
    return rows.map((row) => open(this.dataKey(), row.body, recordBinding(row.record_id)));
  }

  /** Applies one transaction's changes in one commit. */
  commit(database: string, change: CryptoDatabaseChange): void {
    const databaseId = this.id("database", database);
    const key = this.dataKey();
    this.db.transaction(() => {
      if (change.schema) {
        const name = Buffer.from(database, "utf8");
        const length = Buffer.alloc(4);
        length.writeUInt32BE(name.length);
        const plain = Buffer.concat([length, name, change.schema.body]);
        this.statements.saveDatabase.run(databaseId, seal(key, plain, databaseBinding(databaseId)));
        const kept = new Set(
          change.schema.stores.map((store) => this.storeId(database, store).toString("hex")),
        );
        for (const storeId of this.statements.storesOf.all(databaseId) as Buffer[]) {
          if (!kept.has(storeId.toString("hex"))) this.statements.clearStore.run(storeId);
        }
      }
      for (const store of change.cleared) this.statements.clearStore.run(this.storeId(database, store));
      for (const record of change.put) {
        const recordId = this.id("record", database, record.store, record.key);
        this.statements.putRecord.run(
          recordId,
          databaseId,
          this.storeId(database, record.store),
          seal(key, record.body, recordBinding(recordId)),
        );
      }
      for (const record of change.deleted) {
        this.statements.deleteRecord.run(this.id("record", database, record.store, record.key));
      }
    })();
  }

  /** Forgets every mirrored database (the state of a device that no longer exists); values stay. */
  resetDatabases(): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM bridge_crypto_records").run();
      this.db.prepare("DELETE FROM bridge_crypto_databases").run();
    })();
  }

  value(name: string): Buffer | undefined {
    const body = this.statements.value.get(name) as Buffer | undefined;
    return body === undefined ? undefined : open(this.dataKey(), body, valueBinding(name));
  }

  setValue(name: string, value: Uint8Array): void {
    this.statements.setValue.run(name, seal(this.dataKey(), value, valueBinding(name)));
  }

  deleteValue(name: string): void {
    this.statements.deleteValue.run(name);
  }

  /** Records that `roomId` was told encryption is off; false if it had been told before. */
  markEncryptionNotice(roomId: string): boolean {
    return this.statements.noticeRoom.run(roomId, this.now()).changes === 1;
  }

  private storeId(database: string, store: string): Buffer {
    return this.id("store", database, store);
  }

  private id(...parts: string[]): Buffer {
    return createHmac("sha256", this.idKey())
      .update(rowBinding(...parts))
      .digest();
  }

  private idKey(): Buffer {
    this.dataKey();
    return this.keys!.ids;
  }

  /** The crypto data key, created (and stored wrapped) the first time crypto state is written. */
  private dataKey(): Buffer {
    if (this.keys) return this.keys.data;
    const wrapped = this.db
      .prepare("SELECT value FROM store_meta WHERE name = ?")
      .pluck()
      .get(DATA_KEY_NAME) as Buffer | undefined;
    let data: Buffer;
    if (wrapped === undefined) {
      data = randomBytes(KEY_BYTES);
      this.db
        .prepare("INSERT INTO store_meta (name, value) VALUES (?, ?)")
        .run(DATA_KEY_NAME, seal(this.bridgeKey, data, DATA_KEY_BINDING));
    } else {
      try {
        data = open(this.bridgeKey, wrapped, DATA_KEY_BINDING);
      } catch (error) {
        if (error instanceof CorruptRecordError) {
          throw new KeyMismatchError(
            `${KEY_MISMATCH_MESSAGE}: the Matrix crypto data key cannot be decrypted with the configured key file`,
          );
        }
        throw error;
      }
    }
    const ids = createHmac("sha256", data).update("bridge_crypto row ids v1").digest();
    this.keys = { data, ids };
    return data;
  }
}

const databaseBinding = (id: Buffer) => rowBinding("bridge_crypto_databases.body", id.toString("hex"));
const recordBinding = (id: Buffer) => rowBinding("bridge_crypto_records.body", id.toString("hex"));
const valueBinding = (name: string) => rowBinding("bridge_crypto_values.body", name);
