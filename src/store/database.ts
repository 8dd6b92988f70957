import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";

import BetterSqlite3, { type Database } from "better-sqlite3";

import type { SignalStorage } from "../signal/index.js";

import { loadBridgeKey } from "./bridge-key.js";
import { BridgeTables } from "./bridge-tables.js";
import { newWrappedDataKey, unwrapDataKey } from "./data-keys.js";
import { DisappearingTables } from "./disappearing-tables.js";
import { DoublePuppetTables } from "./double-puppet-tables.js";
import { HistoryTables } from "./history-tables.js";
import { MatrixJournal } from "./matrix-journal.js";
import { MatrixCryptoTables } from "./matrix-crypto-tables.js";
import { StoreError } from "./errors.js";
import { migrate } from "./migrate.js";
import { migrations } from "./migrations/list.js";
import { SignalStorageTables } from "./signal-storage-tables.js";
import type { SqlDatabase } from "./sql/sql-database.js";
import { SqliteDatabase } from "./sql/sqlite-database.js";
import { acquireSqliteWriterLock } from "./sql/sqlite-writer-lock.js";

export interface OpenDatabaseOptions {
  /** SQLite file; it and its directory are created if missing. */
  databasePath: string;
  /** Bridge key file; created (mode 0600) on first start, required to match afterwards. */
  keyFilePath: string;
  /** Clock for stored timestamps; tests pass their own. */
  now?: () => number;
  /**
   * Take the single-writer lock first (`<database>.lock`, see sqlite-writer-lock.ts): a second
   * process that asks for it while this store is open is refused. The bridge does; tools and
   * tests that open a store beside it do not.
   */
  writerLock?: boolean;
}

/** The bridge's persistent state. */
export interface Store {
  /**
   * The Signal storage of one account, created empty (with a fresh data key) the first time
   * `accountId` is used. `accountId` is any stable string the caller picks (e.g. the Matrix user
   * id of the login); it is bound into every encrypted value of the account.
   */
  signalStorage(accountId: string): Promise<SignalStorage>;
  /** Ids of all accounts that have Signal storage, oldest first. */
  listSignalAccounts(): Promise<string[]>;
  /** Deletes the account and every Signal row it owns (logout); its data key is destroyed with it. */
  deleteSignalAccount(accountId: string): Promise<void>;
  /** The bridge's own tables (portals, message mapping, ghosts ...). */
  readonly bridge: BridgeTables;
  /** Disappearing messages: each portal's timer and the events waiting to be redacted. */
  readonly disappearing: DisappearingTables;
  /** Matrix events received from the homeserver, waiting to be handled in order per room. */
  readonly matrixJournal: MatrixJournal;
  /** Imports of the message history phones transferred at link time. */
  readonly history: HistoryTables;
  /** The bridge bot's Matrix crypto state (end-to-bridge encryption), sealed apart from any login. */
  readonly matrixCrypto: MatrixCryptoTables;
  /** Users' Matrix access tokens for double puppeting (login-matrix), sealed. */
  readonly doublePuppets: DoublePuppetTables;
  /** Signal events buffered (decrypted and acknowledged) and not yet marked handled, across accounts. */
  pendingSignalEventCount(): Promise<number>;
  /** Whether the database answers a query (it is open and readable). */
  answers(): Promise<boolean>;
  /** Closes the database; the storages handed out must not be used afterwards. */
  close(): Promise<void>;
}

const BUSY_TIMEOUT_MS = 5000;

/** Opens (creating and migrating as needed) the SQLite database and checks the bridge key against it. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Store> {
  const { databasePath, keyFilePath } = options;
  mkdirSync(dirname(databasePath), { recursive: true, mode: 0o700 });
  restrictToOwner(databasePath);
  const lock = options.writerLock ? acquireSqliteWriterLock(databasePath) : undefined;
  let raw: Database;
  try {
    raw = openConfigured(databasePath);
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = new SqliteDatabase(raw, lock && (() => lock.release()));
  return openStore(db, databasePath, keyFilePath, options.now ?? Date.now);
}

/**
 * Migrates `db` and checks the bridge key against it: the part of opening both backends share.
 * `where` names the database in messages. The database is closed again if this fails.
 */
export async function openStore(
  db: SqlDatabase,
  where: string,
  keyFilePath: string,
  now: () => number = Date.now,
): Promise<Store> {
  try {
    await migrate(db, migrations, where);
    const bridgeKey = await loadBridgeKey(db, keyFilePath, where);
    return new SqlStore(db, bridgeKey, now);
  } catch (error) {
    await db.close();
    throw error;
  }
}

/**
 * The database holds every account's (sealed) Signal state and the bridge's mapping of who talks
 * to whom: owner only. SQLite gives the -wal and -shm files it creates the database file's mode,
 * so creating the file 0600 covers them; files left by an earlier version are narrowed too.
 */
function restrictToOwner(databasePath: string): void {
  try {
    closeSync(openSync(databasePath, "a", 0o600));
    for (const file of [databasePath, `${databasePath}-wal`, `${databasePath}-shm`]) {
      if (existsSync(file)) chmodSync(file, 0o600);
    }
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    throw new StoreError(
      `cannot make ${databasePath} (and its -wal/-shm files) readable by their owner only (${code}); ` +
        `check database.path in the config, and that the bridge's user owns these files`,
    );
  }
}

function openConfigured(databasePath: string): Database {
  const raw = new BetterSqlite3(databasePath, { timeout: BUSY_TIMEOUT_MS });
  try {
    configure(raw, databasePath);
    return raw;
  } catch (error) {
    raw.close();
    throw error;
  }
}

function configure(db: Database, databasePath: string): void {
  try {
    db.pragma("journal_mode = WAL");
  } catch (error) {
    if ((error as { code?: string }).code === "SQLITE_NOTADB") {
      throw new StoreError(`${databasePath} is not a SQLite database; check database.path in the config`);
    }
    throw error;
  }
  db.pragma("foreign_keys = ON");
  // An envelope is acknowledged to Signal right after its commit, so the commit must survive a
  // power cut, not only a crash of the process.
  db.pragma("synchronous = FULL");
  // Deleted rows (a logged-out account's wrapped data key above all) are overwritten, not left
  // readable in free pages.
  db.pragma("secure_delete = ON");
}

/** The store over either database. */
export class SqlStore implements Store {
  private readonly signalStorages = new Map<string, SignalStorageTables>();
  /** Unwrapped data keys, per account: unwrapping is cheap, but reading the row is not free. */
  private readonly dataKeys = new Map<string, Promise<Buffer>>();
  readonly bridge: BridgeTables;
  readonly disappearing: DisappearingTables;
  readonly matrixJournal: MatrixJournal;
  readonly history: HistoryTables;
  readonly matrixCrypto: MatrixCryptoTables;
  readonly doublePuppets: DoublePuppetTables;

  constructor(
    readonly db: SqlDatabase,
    private readonly bridgeKey: Buffer,
    private readonly now: () => number,
  ) {
    this.bridge = new BridgeTables(db, now);
    this.disappearing = new DisappearingTables(db, now);
    this.matrixJournal = new MatrixJournal(db, now);
    this.history = new HistoryTables(db, (accountId) => this.dataKey(accountId), now);
    this.matrixCrypto = new MatrixCryptoTables(db, bridgeKey, now);
    this.doublePuppets = new DoublePuppetTables(db, (accountId) => this.dataKey(accountId), now);
  }

  async signalStorage(accountId: string): Promise<SignalStorage> {
    const existing = this.signalStorages.get(accountId);
    if (existing !== undefined) return existing;
    const key = await this.dataKey(accountId);
    const storage =
      this.signalStorages.get(accountId) ?? new SignalStorageTables(this.db, accountId, key, this.now);
    this.signalStorages.set(accountId, storage);
    return storage;
  }

  async listSignalAccounts(): Promise<string[]> {
    const rows = await this.db.all<{ account_id: string }>(
      "SELECT account_id FROM signal_accounts ORDER BY created_at, account_id",
    );
    return rows.map((row) => row.account_id);
  }

  async deleteSignalAccount(accountId: string): Promise<void> {
    await this.db.run("DELETE FROM signal_accounts WHERE account_id = ?", [accountId]);
    this.signalStorages.delete(accountId);
    this.dataKeys.delete(accountId);
  }

  async pendingSignalEventCount(): Promise<number> {
    const row = await this.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM signal_event_buffer WHERE state = 'pending'",
    );
    return row?.n ?? 0;
  }

  async answers(): Promise<boolean> {
    try {
      const row = await this.db.get<{ one: number }>("SELECT 1 AS one");
      return row?.one === 1;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.signalStorages.clear();
    this.dataKeys.clear();
    await this.db.close();
  }

  private dataKey(accountId: string): Promise<Buffer> {
    let key = this.dataKeys.get(accountId);
    if (key === undefined) {
      key = this.loadDataKey(accountId);
      this.dataKeys.set(accountId, key);
      key.catch(() => this.dataKeys.delete(accountId));
    }
    return key;
  }

  /** The account's data key; the account row (holding it wrapped) is created on first use. */
  private async loadDataKey(accountId: string): Promise<Buffer> {
    const created = newWrappedDataKey(this.bridgeKey, accountId);
    const wrapped = await this.db.transaction(async (tx) => {
      const row = await tx.get<{ data_key_wrapped: Buffer }>(
        "SELECT data_key_wrapped FROM signal_accounts WHERE account_id = ?",
        [accountId],
      );
      if (row !== undefined) return row.data_key_wrapped;
      await tx.run(
        "INSERT INTO signal_accounts (account_id, data_key_wrapped, created_at) VALUES (?, ?, ?)",
        [accountId, created.wrapped, this.now()],
      );
      return undefined;
    });
    return wrapped === undefined ? created.key : unwrapDataKey(this.bridgeKey, accountId, wrapped);
  }
}
