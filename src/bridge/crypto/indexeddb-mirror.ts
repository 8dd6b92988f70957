// The Matrix crypto library (matrix-sdk-crypto-wasm) persists only to IndexedDB, which Node does not
// have. fake-indexeddb provides IndexedDB in memory; this module makes it durable by mirroring every
// committed transaction into the bridge database, and by loading the mirror back into memory at
// start. A transaction's changes are written (one database commit) when it completes, and its
// "complete" event is held back until that commit is durable, so nobody is told it completed first: the crypto library saves what it hands out (one-time keys,
// room keys) before it returns the request that publishes them, so after a crash, even `kill -9`,
// the database holds everything the homeserver may have been told about.
//
// fake-indexeddb offers no hook for this; the mirror wraps three methods of its internal object
// store (store, delete, clear a record) and the transaction's event dispatch. Its version is pinned
// in package.json for that reason, and the unit tests cover a round trip through the crypto library.
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { deserialize, serialize } from "node:v8";
import * as fakeIndexedDb from "fake-indexeddb";
import type { CryptoDatabaseChange } from "../../store/index.js";

/** Where the mirror keeps what it copies (implemented by the store's MatrixCryptoTables). */
export interface CryptoDatabaseStorage {
  databases(): Promise<{ name: string; schema: Buffer }[]>;
  records(database: string): Promise<Buffer[]>;
  commit(database: string, change: CryptoDatabaseChange): Promise<void>;
}

type IdbKey = unknown;
type KeyPath = string | string[] | null;

interface RawRecord {
  key: IdbKey;
  value: unknown;
}
interface RawIndex {
  name: string;
  keyPath: string | string[];
  unique: boolean;
  multiEntry: boolean;
}
interface RawDatabase {
  name: string;
  version: number;
  rawObjectStores: Map<string, RawObjectStore>;
}
interface RawObjectStore {
  name: string;
  keyPath: KeyPath;
  autoIncrement: boolean;
  deleted: boolean;
  rawDatabase: RawDatabase;
  rawIndexes: Map<string, RawIndex>;
  records: { get(key: IdbKey): RawRecord | undefined; values(range?: unknown): Iterable<RawRecord> };
  storeRecord(record: RawRecord, noOverwrite: boolean, rollbackLog?: unknown[]): IdbKey;
  deleteRecord(key: IdbKey, rollbackLog?: unknown[]): void;
  clear(rollbackLog?: unknown[]): void;
}
interface RawTransaction {
  mode: string;
  _rollbackLog: unknown[];
  db: { _rawDatabase: RawDatabase };
  dispatchEvent(event: { type: string }): unknown;
}

// The part of the IndexedDB API the mirror uses itself (the project compiles without DOM typings).
interface IdbObjectStore {
  keyPath: KeyPath;
  put(value: unknown, key?: IdbKey): unknown;
  createIndex(
    name: string,
    keyPath: string | string[],
    options: { unique: boolean; multiEntry: boolean },
  ): unknown;
}
interface IdbDatabase {
  createObjectStore(name: string, options: { keyPath: KeyPath; autoIncrement: boolean }): IdbObjectStore;
  close(): void;
}
interface IdbOpenRequest {
  result: IdbDatabase;
  error: unknown;
  onupgradeneeded: (() => void) | null;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
  onblocked: (() => void) | null;
}
interface IdbFactory {
  open(name: string, version: number): IdbOpenRequest;
}

interface SchemaDescription {
  version: number;
  stores: {
    name: string;
    keyPath: KeyPath;
    autoIncrement: boolean;
    indexes: { name: string; keyPath: string | string[]; unique: boolean; multiEntry: boolean }[];
  }[];
}

/** What one transaction touched, found again when it completes. */
interface Touched {
  stores: Map<RawObjectStore, TouchedStore>;
}
interface TouchedStore {
  cleared: boolean;
  keys: Map<string, IdbKey>;
}

/** Mirrors of this process; the hooks find a raw database's mirror among them. */
const mirrors = new Set<IndexedDbMirror>();
const touchedByLog = new WeakMap<unknown[], Touched>();
let hooksInstalled: Promise<void> | undefined;

/**
 * An in-memory IndexedDB whose committed state is kept in `storage`. Create with {@link open}, then
 * {@link installGlobals} before the crypto library opens its store.
 */
export class IndexedDbMirror {
  readonly factory = new fakeIndexedDb.IDBFactory() as unknown as IdbFactory;
  private loading = false;
  /** The commits of completed transactions, one after another in completion order. */
  private flushed: Promise<void> = Promise.resolve();

  private constructor(private readonly storage: CryptoDatabaseStorage) {}

  /** A mirror holding everything `storage` kept from earlier runs. */
  static async open(storage: CryptoDatabaseStorage): Promise<IndexedDbMirror> {
    await installHooks();
    const mirror = new IndexedDbMirror(storage);
    mirrors.add(mirror);
    await mirror.restore();
    return mirror;
  }

  /** Makes this mirror the process's `indexedDB` (the crypto library looks it up globally). */
  installGlobals(): void {
    const globals = globalThis as Record<string, unknown>;
    for (const [name, value] of Object.entries(fakeIndexedDb)) {
      if (name.startsWith("IDB")) globals[name] = value;
    }
    globals["indexedDB"] = this.factory;
  }

  /** Stops mirroring (the databases stay in memory until dropped). */
  detach(): void {
    mirrors.delete(this);
  }

  owns(database: RawDatabase): boolean {
    return !this.loading && factoryDatabases(this.factory).get(database.name) === database;
  }

  /**
   * Writes what a completed transaction changed, after the commits of transactions that completed
   * before it; resolves once it is durable.
   */
  flush(transaction: RawTransaction, touched: Touched | undefined): Promise<void> {
    const database = transaction.db._rawDatabase;
    const change: {
      schema?: { body: Uint8Array; stores: string[] };
      cleared: string[];
      put: { store: string; key: string; body: Uint8Array }[];
      deleted: { store: string; key: string }[];
    } = { cleared: [], put: [], deleted: [] };
    if (transaction.mode === "versionchange") {
      const schema = describeSchema(database);
      change.schema = { body: serialize(schema), stores: schema.stores.map((store) => store.name) };
    }
    for (const [store, { cleared, keys }] of touched?.stores ?? []) {
      if (store.deleted) continue;
      if (cleared) change.cleared.push(store.name);
      for (const [encoded, key] of keys) {
        const record = store.records.get(key);
        if (record) {
          const body = serialize({ store: store.name, key: record.key, value: record.value });
          change.put.push({ store: store.name, key: encoded, body });
        } else {
          change.deleted.push({ store: store.name, key: encoded });
        }
      }
    }
    if (change.schema || change.cleared.length + change.put.length + change.deleted.length > 0) {
      this.flushed = this.flushed.then(() => this.storage.commit(database.name, change));
    }
    return this.flushed;
  }

  private async restore(): Promise<void> {
    this.loading = true;
    try {
      for (const { name, schema } of await this.storage.databases()) {
        const description = deserialize(schema) as SchemaDescription;
        const records = (await this.storage.records(name)).map(
          (body) => deserialize(body) as RawRecord & { store: string },
        );
        await this.load(name, description, records);
      }
    } finally {
      this.loading = false;
    }
  }

  private load(name: string, schema: SchemaDescription, records: (RawRecord & { store: string })[]) {
    return new Promise<void>((resolve, reject) => {
      const request = this.factory.open(name, schema.version);
      request.onupgradeneeded = () => {
        const db = request.result;
        const stores = new Map<string, IdbObjectStore>();
        for (const store of schema.stores) {
          const created = db.createObjectStore(store.name, {
            keyPath: store.keyPath,
            autoIncrement: store.autoIncrement,
          });
          for (const index of store.indexes) {
            created.createIndex(index.name, index.keyPath, {
              unique: index.unique,
              multiEntry: index.multiEntry,
            });
          }
          stores.set(store.name, created);
        }
        for (const record of records) {
          const store = stores.get(record.store);
          if (!store) continue;
          if (store.keyPath === null) store.put(record.value, record.key);
          else store.put(record.value);
        }
      };
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(request.error ?? new Error(`could not load crypto database ${name}`));
      request.onblocked = () => reject(new Error(`crypto database ${name} is open elsewhere`));
    });
  }
}

function describeSchema(database: RawDatabase): SchemaDescription {
  return {
    version: database.version,
    stores: [...database.rawObjectStores.values()]
      .filter((store) => !store.deleted)
      .map((store) => ({
        name: store.name,
        keyPath: store.keyPath,
        autoIncrement: store.autoIncrement,
        indexes: [...store.rawIndexes.values()].map((index) => ({
          name: index.name,
          keyPath: index.keyPath,
          unique: index.unique,
          multiEntry: index.multiEntry,
        })),
      })),
  };
}

function factoryDatabases(factory: IdbFactory): Map<string, RawDatabase> {
  return (factory as unknown as { _databases: Map<string, RawDatabase> })._databases;
}

function mirrorOf(database: RawDatabase): IndexedDbMirror | undefined {
  for (const mirror of mirrors) if (mirror.owns(database)) return mirror;
  return undefined;
}

/** A stable string for an IndexedDB key (numbers, dates, strings, binary, arrays of those). */
export function encodeKey(key: IdbKey): string {
  return JSON.stringify(taggedKey(key));
}

function taggedKey(key: IdbKey): unknown {
  if (typeof key === "number") return ["n", String(key)];
  if (typeof key === "string") return ["s", key];
  if (key instanceof Date) return ["d", String(key.getTime())];
  if (Array.isArray(key)) return ["a", ...key.map(taggedKey)];
  if (key instanceof ArrayBuffer) return ["b", Buffer.from(key).toString("hex")];
  if (ArrayBuffer.isView(key))
    return ["b", Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("hex")];
  throw new TypeError(`not an IndexedDB key: ${String(key)}`);
}

function touch(log: unknown[] | undefined, store: RawObjectStore): TouchedStore | undefined {
  if (!log || !mirrorOf(store.rawDatabase)) return undefined;
  let touched = touchedByLog.get(log);
  if (!touched) {
    touched = { stores: new Map() };
    touchedByLog.set(log, touched);
  }
  let entry = touched.stores.get(store);
  if (!entry) {
    entry = { cleared: false, keys: new Map() };
    touched.stores.set(store, entry);
  }
  return entry;
}

function installHooks(): Promise<void> {
  hooksInstalled ??= (async () => {
    const esmDir = dirname(fileURLToPath(import.meta.resolve("fake-indexeddb")));
    const { default: ObjectStore } = (await import(
      pathToFileURL(join(esmDir, "lib", "ObjectStore.js")).href
    )) as {
      default: { prototype: RawObjectStore };
    };
    const storeProto = ObjectStore.prototype;
    const { storeRecord, deleteRecord, clear } = storeProto;
    storeProto.storeRecord = function (record, noOverwrite, rollbackLog) {
      const key = storeRecord.call(this, record, noOverwrite, rollbackLog);
      touch(rollbackLog, this)?.keys.set(encodeKey(key), key);
      return key;
    };
    storeProto.deleteRecord = function (key, rollbackLog) {
      const entry = touch(rollbackLog, this);
      if (entry) {
        const range = key instanceof fakeIndexedDb.IDBKeyRange ? key : fakeIndexedDb.IDBKeyRange.only(key);
        for (const record of this.records.values(range)) entry.keys.set(encodeKey(record.key), record.key);
      }
      deleteRecord.call(this, key, rollbackLog);
    };
    storeProto.clear = function (rollbackLog) {
      const entry = touch(rollbackLog, this);
      if (entry) {
        entry.cleared = true;
        entry.keys.clear();
      }
      clear.call(this, rollbackLog);
    };
    const transactionProto = fakeIndexedDb.IDBTransaction.prototype as unknown as RawTransaction;
    const dispatch = transactionProto.dispatchEvent;
    transactionProto.dispatchEvent = function (event) {
      if (event.type === "complete") {
        const touched = touchedByLog.get(this._rollbackLog);
        touchedByLog.delete(this._rollbackLog);
        const mirror = touched || this.mode === "versionchange" ? mirrorOf(this.db._rawDatabase) : undefined;
        if (mirror) {
          // "complete" is told once the changes are durable. A commit that fails stops the process
          // (an uncaught exception), as it must: the crypto library would go on believing in keys
          // that are not kept.
          mirror.flush(this, touched).then(
            () => dispatch.call(this, event),
            (error: unknown) =>
              setImmediate(() => {
                throw error;
              }),
          );
          return true;
        }
      } else if (event.type === "abort") {
        touchedByLog.delete(this._rollbackLog);
      }
      return dispatch.call(this, event);
    };
  })();
  return hooksInstalled;
}
