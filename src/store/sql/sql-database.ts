// The one door to the database, for both backends (SQLite through better-sqlite3, PostgreSQL
// through pg). Every table class in store/ speaks this interface only, so the SQL it writes must
// be the subset both understand: `?` placeholders (the PostgreSQL backend numbers them),
// `INSERT ... ON CONFLICT (...) DO NOTHING | DO UPDATE SET col = excluded.col`, `RETURNING`,
// no SQLite-only words (`INSERT OR REPLACE`, `pluck`, pragmas) outside the SQLite backend.
//
// Integers come back as JavaScript numbers on both (PostgreSQL's BIGINT is parsed, since every
// value we store - milliseconds, ids, counters - stays below 2^53); byte columns as Buffers.
//
// PostgreSQL's text cannot hold U+0000 (the statement fails), yet text we store comes from others
// (a Signal profile or contact name, a group title, a Matrix display name): both backends bind a
// string with NUL characters as the same string with U+FFFD in their place (`storableText`), so
// such a value neither fails a commit on PostgreSQL nor reads back differently on the two.

/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | bigint | Buffer | Uint8Array | null;

export interface SqlRunResult {
  /** Rows inserted, updated or deleted by the statement. */
  changes: number;
}

/** Runs statements: on the database itself, or inside one transaction. */
export interface SqlExecutor {
  /** Every row the statement returns. */
  all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** The first row the statement returns, or undefined. */
  get<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>;
  /** Runs a statement that returns no rows. */
  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult>;
  /** Runs a script of statements without parameters (schema changes). */
  exec(sql: string): Promise<void>;
}

export type SqlDialect = "sqlite" | "postgres";

export interface SqlDatabase extends SqlExecutor {
  readonly dialect: SqlDialect;
  /**
   * Runs `work` as one transaction: committed (durably) when it resolves, rolled back when it
   * throws. `work` must do nothing but database work through `tx`: a backend may run it again
   * when the database asks for a retry (PostgreSQL's serialization failures). Transactions do
   * not nest; statements outside `tx` never see a transaction's uncommitted rows.
   */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs a statement on its own, committed and visible at once, whose flush to disk rides with
   * the next durable commit instead of waiting for one of its own: it survives the bridge
   * crashing, but a power cut before the next commit may lose it. Only for writes that a commit
   * made right after them covers (a message's mapping, recorded after its send and flushed by
   * the event's handled mark): the work they record is then redone, idempotently.
   */
  runFlushedByNextCommit(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult>;
  /** Waits for statements under way, then closes every connection. */
  close(): Promise<void>;
}

/** `value` with every U+0000 replaced by U+FFFD, which both backends can store as text. */
export function storableText(value: string): string {
  return value.includes("\u0000") ? value.replaceAll("\u0000", "\uFFFD") : value;
}
