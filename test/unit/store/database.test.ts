import assert from "node:assert/strict";
import { chmodSync, existsSync, statSync, writeFileSync } from "node:fs";
import { test } from "node:test";

import BetterSqlite3 from "better-sqlite3";

import { DatabaseTooNewError, openDatabase, StoreError } from "../../../src/store/index.js";
import { openStore } from "../../../src/store/database.js";
import { migrate, schemaVersion } from "../../../src/store/migrate.js";
import type { Migration } from "../../../src/store/migrations/migration.js";
import { migrations } from "../../../src/store/migrations/list.js";
import { openPostgresDatabase } from "../../../src/store/sql/postgres-database.js";
import type { SqlDatabase } from "../../../src/store/sql/sql-database.js";
import { SqliteDatabase } from "../../../src/store/sql/sqlite-database.js";
import { sampleAccount } from "./sample-records.js";
import { openTempStore, postgresServer, storePaths, storeTest, tableNames, tempDir } from "./temp-store.js";

function sqliteTableNames(databasePath: string): string[] {
  const db = new BetterSqlite3(databasePath, { readonly: true });
  try {
    return db
      .prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .pluck()
      .all() as string[];
  } finally {
    db.close();
  }
}

function userVersion(databasePath: string): number {
  const db = new BetterSqlite3(databasePath, { readonly: true });
  try {
    return db.pragma("user_version", { simple: true }) as number;
  } finally {
    db.close();
  }
}

const STORE_TABLES = [
  "bridge_chat_states",
  "bridge_crypto_databases",
  "bridge_crypto_records",
  "bridge_crypto_values",
  "bridge_disappearing_events",
  "bridge_disappearing_timers",
  "bridge_double_puppets",
  "bridge_encryption_notices",
  "bridge_ghosts",
  "bridge_history_chats",
  "bridge_history_imports",
  "bridge_matrix_journal",
  "bridge_messages",
  "bridge_outgoing",
  "bridge_poll_answers",
  "bridge_portals",
  "bridge_reactions",
  "bridge_signal_clocks",
  "bridge_users",
  "signal_accounts",
  "signal_event_buffer",
  "signal_groups",
  "signal_identities",
  "signal_kyber_base_keys_used",
  "signal_kyber_pre_keys",
  "signal_pre_keys",
  "signal_recipients",
  "signal_sender_key_distributions",
  "signal_sender_keys",
  "signal_sessions",
  "signal_signed_pre_keys",
  "store_meta",
];

test("opening a missing database creates it, in WAL mode, at the latest schema version", async (t) => {
  const paths = storePaths(tempDir(t));
  const store = await openDatabase(paths);
  await store.close();

  assert.equal(userVersion(paths.databasePath), migrations.length);
  assert.deepEqual(sqliteTableNames(paths.databasePath), STORE_TABLES);
  const db = new BetterSqlite3(paths.databasePath, { readonly: true });
  assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
  db.close();
});

test("an empty database is migrated to every table at the latest schema version [postgres]", async (t) => {
  // Not from the migrated template temp-store copies: from nothing, as on a first start.
  const uri = await (await postgresServer()).createDatabase("empty");
  const dir = tempDir(t);
  const store = await openStore(await openPostgresDatabase(uri), uri, storePaths(dir).keyFilePath);
  await store.close();
  const db = await openPostgresDatabase(uri);
  t.after(() => db.close());
  assert.equal(await schemaVersion(db), migrations.length);
  assert.deepEqual(await tableNames(db), [...STORE_TABLES, "store_schema_version"].sort());
});

storeTest("reopening keeps the data and the schema version", async (t, backend) => {
  const { store: first, reopen, raw } = await openTempStore(t, undefined, backend);
  const account = sampleAccount();
  await (await first.signalStorage("@alice:example.org")).commit([{ type: "account", account }]);
  await first.close();

  const second = await reopen();
  assert.deepEqual(await (await second.signalStorage("@alice:example.org")).getAccount(), account);
  assert.deepEqual(await second.listSignalAccounts(), ["@alice:example.org"]);
  assert.equal(await schemaVersion(await raw()), migrations.length);
});

storeTest(
  "a database from a newer bridge version is refused with the versions in the message",
  async (t, backend) => {
    const { store, reopen, raw } = await openTempStore(t, undefined, backend);
    await store.close();
    const db = await raw();
    await db.exec(
      backend === "sqlite"
        ? `PRAGMA user_version = ${migrations.length + 5}`
        : `UPDATE store_schema_version SET version = ${migrations.length + 5}`,
    );
    await db.close();

    await assert.rejects(
      () => reopen(),
      (error: unknown) =>
        error instanceof DatabaseTooNewError &&
        error.message.includes(`schema version ${migrations.length + 5}`) &&
        error.message.includes("upgrade the bridge"),
    );
  },
);

storeTest(
  "a failing migration leaves the database at the previous version with none of its changes",
  async (t, backend) => {
    let db: SqlDatabase;
    if (backend === "sqlite") {
      db = new SqliteDatabase(new BetterSqlite3(":memory:"));
    } else {
      db = await openPostgresDatabase(await (await postgresServer()).createDatabase("failing_migration"));
    }
    t.after(() => db.close());
    const steps: Migration[] = [
      { version: 1, description: "first", sql: "CREATE TABLE bridge_one (x INTEGER) STRICT" },
      {
        version: 2,
        description: "broken",
        sql: "CREATE TABLE bridge_two (x INTEGER) STRICT; INSERT INTO no_such_table VALUES (1);",
      },
    ];

    await assert.rejects(
      migrate(db, steps, "the test database"),
      /no such table: no_such_table|relation "no_such_table" does not exist/,
    );
    assert.equal(await schemaVersion(db), 1);
    assert.deepEqual(await tableNames(db, "bridge_"), ["bridge_one"]);

    // Fixing the step and migrating again finishes the job.
    steps[1] = { ...steps[1]!, sql: "CREATE TABLE bridge_two (x INTEGER) STRICT" };
    await migrate(db, steps, "the test database");
    assert.equal(await schemaVersion(db), 2);
    assert.deepEqual(await tableNames(db, "bridge_"), ["bridge_one", "bridge_two"]);
  },
);

test("a migration listed out of order is rejected before anything runs", async (t) => {
  const raw = new BetterSqlite3(":memory:");
  const db = new SqliteDatabase(raw);
  t.after(() => db.close());
  const steps: Migration[] = [{ version: 2, description: "misnumbered", sql: "CREATE TABLE x (a)" }];
  await assert.rejects(migrate(db, steps, ":memory:"), /version 2 but is listed at position 1/);
  assert.equal(raw.pragma("user_version", { simple: true }), 0);
});

test("a file that is not a SQLite database gives a clear error", async (t) => {
  const paths = storePaths(tempDir(t));
  await (await openDatabase(paths)).close();
  writeFileSync(
    paths.databasePath,
    "this is not a database, just some text that is long enough ".repeat(200),
  );
  await assert.rejects(
    () => openDatabase(paths),
    (error: unknown) => error instanceof StoreError && /is not a SQLite database/.test(error.message),
  );
});

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(4, "0");

/** The database and its -wal/-shm, which exist while a connection writes in WAL mode. */
const databaseFiles = (databasePath: string) => [databasePath, `${databasePath}-wal`, `${databasePath}-shm`];

/** Runs `body` with a umask that lets files be created readable by everyone, as many systems do. */
function withLooseUmask<T>(body: () => T): T {
  const previous = process.umask(0o022);
  try {
    return body();
  } finally {
    process.umask(previous);
  }
}

test("the database and its -wal and -shm files are readable by their owner only", async (t) => {
  const paths = storePaths(tempDir(t));
  const store = await withLooseUmask(() => openDatabase(paths));
  t.after(() => store.close());
  await (
    await store.signalStorage("@alice:example.org")
  ).commit([{ type: "account", account: sampleAccount() }]);

  for (const file of databaseFiles(paths.databasePath)) {
    assert.ok(existsSync(file), `${file} exists while the store is open`);
    assert.equal(modeOf(file), "0600", `the mode of ${file}`);
  }
});

test("database files an earlier version left readable by others are narrowed to their owner", async (t) => {
  const paths = storePaths(tempDir(t));
  await (await openDatabase(paths)).close();
  // A connection still open keeps the -wal and -shm files, as after a crash.
  const other = new BetterSqlite3(paths.databasePath);
  t.after(() => other.close());
  other.exec("CREATE TABLE leftover (x INTEGER)");
  for (const file of databaseFiles(paths.databasePath)) chmodSync(file, 0o644);

  await (await openDatabase(paths)).close();
  for (const file of databaseFiles(paths.databasePath)) {
    assert.equal(modeOf(file), "0600", `the mode of ${file}`);
  }
});
