// Moves an install's SQLite database to PostgreSQL (`signal-matrix-bridge migrate-db`).
//
// The rows are copied as they are: sealed columns are bytes bound to their table.column and row
// key (sealing.ts), not to the database, so they stay valid on the target and the same bridge
// key file opens it (the store_meta key check is copied with the rest).
//
// How:
//   1. The SQLite file is opened read-only and must be at the latest schema version this bridge
//      knows (it is not migrated here, so the source is never written: start the bridge once on
//      it to bring an older one up to date). One read transaction holds a consistent snapshot.
//   2. The target is opened with the writer lock, so no bridge runs on it meanwhile.
//   3. In ONE PostgreSQL transaction: the target is checked to hold none of the bridge's tables,
//      the schema is created by the migrations, every table is copied in foreign-key order, in
//      multi-row INSERT batches, and identity sequences are moved past the copied seq values.
//      Any failure rolls everything back, leaving the target empty: just run it again.
//   4. After commit, the rows of every table are counted on both sides.
import BetterSqlite3, { type Database } from "better-sqlite3";

import { DatabaseTooNewError, StoreError } from "./errors.js";
import { migrate } from "./migrate.js";
import { migrations } from "./migrations/list.js";
import type { PostgresDatabase } from "./sql/postgres-database.js";
import { redactDatabaseUri } from "./sql/postgres-uri.js";
import type { SqlDatabase, SqlExecutor, SqlValue } from "./sql/sql-database.js";

export interface MigrateDbOptions {
  /** The SQLite database file (database.path of the install). */
  from: string;
  /** The PostgreSQL URI (database.uri); it may hold a password. */
  to: string;
  /** A file holding the target's password, when the URI has none. */
  passwordFile?: string | undefined;
  /**
   * Most rows per INSERT (default 500; fewer for wide tables, under PostgreSQL's 65535 parameters,
   * and fewer once a batch holds 8 MiB).
   */
  batchRows?: number;
  /** Bytes of values after which a batch is sent whatever its rows (default 8 MiB). */
  batchBytes?: number;
  /** Told about each table as it is copied. */
  onProgress?: (message: string) => void;
}

export interface TableCount {
  table: string;
  source: number;
  target: number;
}

export interface MigrateDbResult {
  /** The schema version copied. */
  schemaVersion: number;
  /** Every table, in the order copied, with its row count on each side. */
  counts: TableCount[];
  /** Whether every table has as many rows on the target as on the source. */
  matches: boolean;
}

/** The PostgreSQL table keeping the schema version (see migrate.ts); made by the migration, not copied. */
const POSTGRES_VERSION_TABLE = "store_schema_version";

/** `name` as a quoted SQL identifier (our table and column names are plain, but be safe). */
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

function openSource(path: string): Database {
  let db: Database;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new StoreError(`cannot open the SQLite database ${path}: ${(error as Error).message}`);
  }
  try {
    db.pragma("user_version", { simple: true });
  } catch (error) {
    db.close();
    const code = (error as { code?: string }).code;
    throw new StoreError(
      code === "SQLITE_NOTADB"
        ? `${path} is not a SQLite database; --from takes the file database.path names`
        : `cannot read the SQLite database ${path}: ${(error as Error).message}`,
    );
  }
  return db;
}

function checkSourceVersion(db: Database, path: string): number {
  const version = Number(db.pragma("user_version", { simple: true }));
  const latest = migrations.length;
  if (version > latest) {
    throw new DatabaseTooNewError(
      `the SQLite database ${path} has schema version ${version}, but this version of the bridge only ` +
        `knows up to ${latest}; run migrate-db from the bridge version that last used it (or a newer one)`,
    );
  }
  if (version === 0) {
    throw new StoreError(
      `the SQLite database ${path} holds no bridge schema (schema version 0); check --from`,
    );
  }
  if (version < latest) {
    throw new StoreError(
      `the SQLite database ${path} has schema version ${version}, older than this bridge's ${latest}; ` +
        `start this version of the bridge once on it (database.type: sqlite), stop it, then run migrate-db again`,
    );
  }
  return version;
}

/** The source's tables (without SQLite's own), parents before children (foreign keys). */
function sourceTables(db: Database): string[] {
  const names = (
    db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
      )
      .all() as { name: string }[]
  )
    .map((row) => row.name)
    .sort();
  const parents = new Map<string, string[]>();
  for (const name of names) {
    const refs = db.prepare(`SELECT "table" AS parent FROM pragma_foreign_key_list(?)`).all(name) as {
      parent: string;
    }[];
    parents.set(
      name,
      refs.map((ref) => ref.parent).filter((parent) => parent !== name),
    );
  }
  const ordered: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]) => {
    const seen = state.get(name);
    if (seen === "done") return;
    if (seen === "visiting") {
      throw new StoreError(
        `foreign keys form a cycle (${[...path, name].join(" -> ")}); cannot order the copy`,
      );
    }
    state.set(name, "visiting");
    for (const parent of parents.get(name) ?? []) {
      if (parents.has(parent)) visit(parent, [...path, name]);
    }
    state.set(name, "done");
    ordered.push(name);
  };
  for (const name of names) visit(name, []);
  return ordered;
}

function sourceColumns(db: Database, table: string): string[] {
  return (
    db.prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid").all(table) as { name: string }[]
  ).map((row) => row.name);
}

/** The highest value SQLite's AUTOINCREMENT has handed out for `table` (rows since deleted included). */
function autoincrementHigh(db: Database, table: string): number {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
    .get();
  if (!exists) return 0;
  const row = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = ?").get(table) as
    { seq: number } | undefined;
  return Number(row?.seq ?? 0);
}

async function targetTables(tx: SqlExecutor): Promise<string[]> {
  const rows = await tx.all<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name",
  );
  return rows.map((row) => row.table_name);
}

/** The first few of `names`, and how many more there are. */
function listed(names: readonly string[], most = 5): string {
  const shown = names.slice(0, most).join(", ");
  return names.length > most ? `${shown} and ${names.length - most} more` : shown;
}

/** The database of one transaction, so that migrate() runs its steps inside the copy's transaction. */
function withinTransaction(tx: SqlExecutor): SqlDatabase {
  return {
    dialect: "postgres",
    all: (sql, params) => tx.all(sql, params),
    get: (sql, params) => tx.get(sql, params),
    run: (sql, params) => tx.run(sql, params),
    // Committed with the copy, like everything else in it.
    runFlushedByNextCommit: (sql, params) => tx.run(sql, params),
    exec: (sql) => tx.exec(sql),
    transaction: (work) => work(tx),
    close: async () => undefined,
  };
}

const MAX_PARAMETERS = 60_000;
/** A batch is sent once its values reach this many bytes (history chats and crypto records can be big). */
const BATCH_BYTES = 8 * 1024 * 1024;

const sizeOf = (value: SqlValue): number =>
  typeof value === "string" ? value.length * 3 : value instanceof Uint8Array ? value.byteLength : 8;

async function copyTable(
  source: Database,
  tx: SqlExecutor,
  table: string,
  columns: string[],
  batchRows: number,
  batchBytes: number,
): Promise<number> {
  const perBatch = Math.max(1, Math.min(batchRows, Math.floor(MAX_PARAMETERS / columns.length)));
  const columnList = columns.map(quote).join(", ");
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const insert = (rows: number) =>
    `INSERT INTO ${quote(table)} (${columnList}) VALUES ${Array.from({ length: rows }, () => tuple).join(", ")}`;
  // Integers as bigints: nothing is rounded on the way (pg takes them as text).
  const select = source
    .prepare(`SELECT ${columnList} FROM ${quote(table)} ORDER BY rowid`)
    .raw(true)
    .safeIntegers(true);
  let copied = 0;
  let batch: SqlValue[] = [];
  let rowsInBatch = 0;
  let bytesInBatch = 0;
  const flush = async () => {
    if (rowsInBatch === 0) return;
    const { changes } = await tx.run(insert(rowsInBatch), batch);
    if (changes !== rowsInBatch) {
      throw new StoreError(`copying ${table}: ${rowsInBatch} rows sent, ${changes} inserted`);
    }
    copied += rowsInBatch;
    batch = [];
    rowsInBatch = 0;
    bytesInBatch = 0;
  };
  // The iterator keeps the SQLite connection busy, which is fine: nothing else reads it meanwhile.
  for (const row of select.iterate() as Iterable<SqlValue[]>) {
    batch.push(...row);
    rowsInBatch += 1;
    for (const value of row) bytesInBatch += sizeOf(value);
    if (rowsInBatch >= perBatch || bytesInBatch >= batchBytes) await flush();
  }
  await flush();
  return copied;
}

/** Moves each identity column's sequence past the values copied into it (and past SQLite's high mark). */
async function fixSequences(source: Database, tx: SqlExecutor, tables: readonly string[]): Promise<void> {
  const identities = await tx.all<{ table_name: string; column_name: string }>(
    "SELECT table_name, column_name FROM information_schema.columns " +
      "WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name",
  );
  for (const { table_name: table, column_name: column } of identities) {
    if (!tables.includes(table)) continue;
    const max = await tx.get<{ high: number | null }>(
      `SELECT MAX(${quote(column)}) AS high FROM ${quote(table)}`,
    );
    const high = Math.max(Number(max?.high ?? 0), autoincrementHigh(source, table));
    // setval(seq, n, false): the next value handed out is n.
    await tx.get("SELECT setval(pg_get_serial_sequence(?, ?)::regclass, ?, false)", [
      quote(table),
      column,
      high + 1,
    ]);
  }
}

function countSource(db: Database, table: string): number {
  const row = db.prepare(`SELECT COUNT(*) AS n FROM ${quote(table)}`).get() as { n: number };
  return Number(row.n);
}

/**
 * Copies the SQLite database `from` into the empty PostgreSQL database `to` (see the top of this
 * file), then counts the rows of every table on both sides. Throws StoreError (with the URI's
 * password masked) when it cannot start or the copy fails; a count mismatch is reported in the
 * result (`matches: false`), not thrown.
 */
export async function migrateDatabase(options: MigrateDbOptions): Promise<MigrateDbResult> {
  const { from, to } = options;
  const where = redactDatabaseUri(to);
  const say = options.onProgress ?? (() => undefined);
  const source = openSource(from);
  let target: PostgresDatabase | undefined;
  try {
    // One read transaction: the version checked and every table are read as of the same moment.
    source.exec("BEGIN");
    const schemaVersion = checkSourceVersion(source, from);
    // pg is loaded for this command only (see open-store.ts).
    const { openPostgresDatabase } = await import("./sql/postgres-database.js");
    target = await openPostgresDatabase(to, {
      lock: true,
      maxConnections: 2,
      ...(options.passwordFile ? { passwordFile: options.passwordFile } : {}),
    });
    const tables = sourceTables(source);
    const columns = new Map(tables.map((table) => [table, sourceColumns(source, table)]));
    const batchRows = Math.max(1, options.batchRows ?? 500);
    const batchBytes = Math.max(1, options.batchBytes ?? BATCH_BYTES);

    say(`copying ${tables.length} tables from ${from} to ${where}`);
    const started = Date.now();
    let total = 0;
    await target.transaction(async (tx) => {
      total = 0;
      const before = await targetTables(tx);
      const existing = before.filter((name) => name === POSTGRES_VERSION_TABLE || columns.has(name));
      if (existing.length > 0) {
        throw new StoreError(
          `the PostgreSQL database ${where} already holds bridge tables (${listed(existing)}); ` +
            `migrate-db only copies into an empty database. Create a new one (CREATE DATABASE ...), ` +
            `or drop these tables if they hold nothing you need`,
        );
      }
      await migrate(withinTransaction(tx), migrations, where);
      const created = new Set(await targetTables(tx));
      const missing = tables.filter((table) => !created.has(table));
      if (missing.length > 0) {
        throw new StoreError(
          `the SQLite database has tables the migrations do not create (${listed(missing)}); ` +
            `was it written by another program, or changed by hand?`,
        );
      }
      const lacking = [...created].filter(
        (table) => !before.includes(table) && table !== POSTGRES_VERSION_TABLE && !columns.has(table),
      );
      if (lacking.length > 0) {
        throw new StoreError(
          `the SQLite database lacks tables its schema version has (${listed(lacking)}); ` +
            `was it changed by hand?`,
        );
      }
      for (const table of tables) {
        const targetColumns = new Set(
          (
            await tx.all<{ column_name: string }>(
              "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?",
              [table],
            )
          ).map((row) => row.column_name),
        );
        const sourceCols = columns.get(table)!;
        const odd = sourceCols.filter((column) => !targetColumns.has(column));
        if (odd.length > 0 || targetColumns.size !== sourceCols.length) {
          throw new StoreError(
            `table ${table} has columns (${sourceCols.join(", ")}) in SQLite but ` +
              `(${[...targetColumns].join(", ")}) on PostgreSQL; cannot copy it`,
          );
        }
        const copied = await copyTable(source, tx, table, sourceCols, batchRows, batchBytes);
        total += copied;
        if (copied > 0) say(`  ${table}: ${copied} ${copied === 1 ? "row" : "rows"}`);
      }
      await fixSequences(source, tx, tables);
    });
    say(
      `copied ${total} rows in ${((Date.now() - started) / 1000).toFixed(1)} s; counting them on both sides`,
    );

    const counts: TableCount[] = [];
    for (const table of tables) {
      const row = await target.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${quote(table)}`);
      counts.push({ table, source: countSource(source, table), target: Number(row?.n ?? 0) });
    }
    source.exec("COMMIT");
    return { schemaVersion, counts, matches: counts.every((count) => count.source === count.target) };
  } finally {
    if (source.inTransaction) source.exec("ROLLBACK");
    source.close();
    await target?.close();
  }
}

/** The counts as a table for the terminal, with a verdict on the last line. */
export function formatCounts(result: MigrateDbResult): string {
  const header = ["table", "sqlite", "postgres", ""];
  const rows = result.counts.map((count) => [
    count.table,
    String(count.source),
    String(count.target),
    count.source === count.target ? "ok" : "MISMATCH",
  ]);
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 || i === 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  const total = result.counts.reduce((sum, count) => sum + count.source, 0);
  const bad = result.counts.filter((count) => count.source !== count.target).length;
  return [
    line(header),
    ...rows.map(line),
    result.matches
      ? `${result.counts.length} tables, ${total} rows: every count matches (schema version ${result.schemaVersion})`
      : `${bad} of ${result.counts.length} tables differ: the copy is NOT complete`,
  ].join("\n");
}
