// Stores for tests, on either backend. SQLite: a file in a fresh temp dir. PostgreSQL: a fresh
// database per test on one throwaway server per test file process (test/support/postgres-server.ts),
// started on first use and stopped by a module-level after() hook when the file's tests are done.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, test, type TestContext } from "node:test";

import BetterSqlite3 from "better-sqlite3";
import pg from "pg";

import {
  openDatabase,
  openStore,
  type OpenDatabaseOptions,
  type Store,
} from "../../../src/store/database.js";
import { migrate } from "../../../src/store/migrate.js";
import { migrations } from "../../../src/store/migrations/list.js";
import { openPostgresDatabase } from "../../../src/store/sql/postgres-database.js";
import { redactDatabaseUri } from "../../../src/store/sql/postgres-uri.js";
import type { SqlDatabase } from "../../../src/store/sql/sql-database.js";
import { SqliteDatabase } from "../../../src/store/sql/sqlite-database.js";
import { type PostgresServer, startPostgres } from "../../support/postgres-server.js";
import { type RawFile, rawFiles } from "./raw-files.js";

export type Backend = "sqlite" | "postgres";
export const BACKENDS: readonly Backend[] = ["sqlite", "postgres"];

/** A fresh temp directory, removed when the test ends (pass or fail). */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "store-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Database and key file paths inside `dir`, in subdirectories that do not exist yet. */
export function storePaths(dir: string): OpenDatabaseOptions {
  return { databasePath: join(dir, "data", "bridge.db"), keyFilePath: join(dir, "secret", "bridge.key") };
}

/**
 * Registers `body` as one test per backend, named `name [sqlite]` and `name [postgres]`
 * (or only on the `backends` given).
 */
export function storeTest(
  name: string,
  body: (t: TestContext, backend: Backend) => Promise<void>,
  backends: readonly Backend[] = BACKENDS,
): void {
  for (const backend of backends) test(`${name} [${backend}]`, (t) => body(t, backend));
}

let server: Promise<PostgresServer> | undefined;
/** A database migrated to the latest schema, copied for every test (migrating costs ~0.4 s). */
let template: Promise<string> | undefined;

after(async () => {
  if (server === undefined) return;
  const started = await server.catch(() => undefined);
  await started?.stop();
});

/** This process's PostgreSQL server, started on first use. */
export function postgresServer(): Promise<PostgresServer> {
  server ??= startPostgres();
  return server;
}

const databaseName = (uri: string) => decodeURIComponent(new URL(uri).pathname.slice(1));

async function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const uri = await (await postgresServer()).createDatabase("store_template");
    const db = await openPostgresDatabase(uri);
    try {
      await migrate(db, migrations, "the template database");
    } finally {
      await db.close();
    }
    return databaseName(uri);
  })();
  return template;
}

/** A fresh PostgreSQL database at the latest schema (no bridge key yet): its URI. */
export async function createPostgresStoreDatabase(name: string): Promise<string> {
  const from = await migratedTemplate();
  return (await postgresServer()).createDatabase(name, { template: from });
}

export interface TempStore {
  backend: Backend;
  store: Store;
  /**
   * The key file (both backends) and the SQLite file (on PostgreSQL a path where nothing is
   * written: the data is in the database `uri` names).
   */
  paths: OpenDatabaseOptions;
  /** The PostgreSQL database's URI (undefined on SQLite). */
  uri: string | undefined;
  /**
   * Opens another store on the same database and key file, as a restarted bridge would (close
   * `store` first); it is closed when the test ends.
   */
  reopen(now?: () => number): Promise<Store>;
  /** A connection of its own to the same database, for tests that look or tamper behind the store. */
  raw(): Promise<SqlDatabase>;
  /**
   * The files an attacker copying the database's storage would get, with what is committed
   * forced to them: SQLite's file and WAL; PostgreSQL's files of this database, the cluster-wide
   * ones (global/) and the WAL written since the database was created (after a CHECKPOINT).
   */
  rawFiles(): Promise<RawFile[]>;
}

const closeQuietly = async (store: Store) => {
  try {
    await store.close();
  } catch {
    // already closed by the test
  }
};

/** Opens a store (SQLite in a fresh temp dir, or a fresh PostgreSQL database), closed when the test ends. */
export async function openTempStore(
  t: TestContext,
  now?: () => number,
  backend: Backend = "sqlite",
): Promise<TempStore> {
  const paths = storePaths(tempDir(t));
  const uri = backend === "postgres" ? await createPostgresStoreDatabase(t.name) : undefined;
  const walFrom = uri === undefined ? "" : await walPosition(uri);
  const open = async (clock: (() => number) | undefined) => {
    const store =
      uri === undefined
        ? await openDatabase({ ...paths, now: clock })
        : await openStore(await openPostgresDatabase(uri), redactDatabaseUri(uri), paths.keyFilePath, clock);
    t.after(() => closeQuietly(store));
    return store;
  };
  const store = await open(now);
  return {
    backend,
    store,
    paths,
    uri,
    reopen: (clock = now) => open(clock),
    raw: async () => {
      const db: SqlDatabase =
        uri === undefined
          ? new SqliteDatabase(new BetterSqlite3(paths.databasePath))
          : await openPostgresDatabase(uri);
      t.after(() => db.close().catch(() => undefined));
      return db;
    },
    rawFiles: async () => (uri === undefined ? rawFiles(paths.databasePath) : postgresRawFiles(uri, walFrom)),
  };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => {
      try {
        return statSync(path).isFile();
      } catch {
        return false; // removed meanwhile (a recycled WAL segment, a temp file)
      }
    });
}

function readIfThere(path: string): RawFile | undefined {
  try {
    return { name: path, content: readFileSync(path) };
  } catch {
    return undefined;
  }
}

/** The name of the WAL segment file PostgreSQL writes to now. */
async function currentWalFile(client: pg.Client): Promise<string> {
  return (await client.query<{ name: string }>("SELECT pg_walfile_name(pg_current_wal_lsn()) AS name"))
    .rows[0]!.name;
}

/** The WAL segment written to now on the database `uri` names (see postgresRawFiles). */
export async function walPosition(uri: string): Promise<string> {
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  try {
    return await currentWalFile(client);
  } finally {
    await client.end();
  }
}

/**
 * Forces what is committed to the data files (CHECKPOINT), then reads them raw: the files of the
 * database `uri` names, global/, and the WAL segments from `walFrom` (a segment file name from
 * walPosition(), taken before the data was written) to the current one. Segments before `walFrom`
 * cannot hold the data; segments after the current one are recycled old ones. Reading only these
 * keeps a test's scan to ~25 MB rather than the whole (growing) cluster; the secrets-at-rest test
 * of PostgreSQL scans everything.
 */
export async function postgresRawFiles(uri: string, walFrom: string): Promise<RawFile[]> {
  const dataDirectory = (await postgresServer()).dataDirectory;
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  let oid: string;
  let walTo: string;
  try {
    await client.query("CHECKPOINT");
    oid = String(
      (await client.query<{ oid: string }>("SELECT oid FROM pg_database WHERE datname = current_database()"))
        .rows[0]!.oid,
    );
    walTo = await currentWalFile(client);
  } finally {
    await client.end();
  }
  const wal = filesUnder(join(dataDirectory, "pg_wal")).filter((path) => {
    const name = basename(path);
    return /^[0-9A-F]{24}$/.test(name) ? name >= walFrom && name <= walTo : true;
  });
  const paths = [
    ...filesUnder(join(dataDirectory, "base", oid)),
    ...filesUnder(join(dataDirectory, "global")),
    ...wal,
  ];
  return paths.map(readIfThere).filter((file): file is RawFile => file !== undefined);
}

/** The names of the store's tables that start with `prefix`, on either backend. */
export async function tableNames(db: SqlDatabase, prefix = ""): Promise<string[]> {
  const rows =
    db.dialect === "sqlite"
      ? await db.all<{ name: string }>(
          "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
      : await db.all<{ name: string }>(
          "SELECT table_name AS name FROM information_schema.tables " +
            "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
        );
  return rows.map((row) => row.name).filter((name) => name.startsWith(prefix));
}
