import type { Database, Statement } from "better-sqlite3";

import {
  type SqlDatabase,
  type SqlExecutor,
  type SqlRunResult,
  type SqlValue,
  storableText,
} from "./sql-database.js";

// better-sqlite3 is synchronous and has one connection. A transaction that awaits between its
// statements would let any other caller's statement run inside it (and be rolled back with it),
// so while a transaction is open every other statement and transaction waits for it to end.
// Outside transactions a statement runs at once: the common case costs no queueing.

type Binding = string | number | bigint | Buffer | null;

function bind(params: readonly SqlValue[]): Binding[] {
  return params.map((value) =>
    typeof value === "string"
      ? storableText(value)
      : value instanceof Uint8Array && !Buffer.isBuffer(value)
        ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
        : (value as Binding),
  );
}

export class SqliteDatabase implements SqlDatabase {
  readonly dialect = "sqlite" as const;
  private readonly statements = new Map<string, Statement>();
  /** Settles when the open transaction ends; undefined while none is open. */
  private openTransaction: Promise<void> | undefined;
  /** The connection's own `synchronous` setting, restored after runFlushedByNextCommit. */
  private synchronous: number | undefined;
  private readonly inside: SqlExecutor = {
    all: async (sql, params = []) => this.statement(sql).all(...bind(params)) as never,
    get: async (sql, params = []) => this.statement(sql).get(...bind(params)) as never,
    run: async (sql, params = []) => this.runNow(sql, params),
    exec: async (sql) => void this.raw.exec(sql),
  };

  /** `afterClose` runs once the connection is closed (the writer lock is released there). */
  constructor(
    readonly raw: Database,
    private readonly afterClose?: () => void,
  ) {}

  async all<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    while (this.openTransaction) await this.openTransaction;
    return this.statement(sql).all(...bind(params)) as Row[];
  }

  async get<Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row | undefined> {
    while (this.openTransaction) await this.openTransaction;
    return this.statement(sql).get(...bind(params)) as Row | undefined;
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<SqlRunResult> {
    while (this.openTransaction) await this.openTransaction;
    return this.runNow(sql, params);
  }

  async runFlushedByNextCommit(sql: string, params: readonly SqlValue[] = []): Promise<SqlRunResult> {
    while (this.openTransaction) await this.openTransaction;
    // In WAL mode a commit under synchronous = NORMAL writes the log without syncing it; the next
    // commit under FULL (the store's setting) syncs the log, this commit's frames with its own.
    // (Through pragma(), which compiles each time: SQLite applies this setting when it compiles
    // the statement, so running a compiled one again changes nothing.)
    // The setting is read once: nothing else changes it after the store is configured.
    this.synchronous ??= this.raw.pragma("synchronous", { simple: true }) as number;
    this.raw.pragma("synchronous = NORMAL");
    try {
      return this.runNow(sql, params);
    } finally {
      this.raw.pragma(`synchronous = ${this.synchronous}`);
    }
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    while (this.openTransaction) await this.openTransaction;
    let end!: () => void;
    this.openTransaction = new Promise((resolve) => (end = resolve));
    try {
      // IMMEDIATE takes the write lock at once, so a second process waits (busy timeout) here
      // rather than failing halfway through.
      this.raw.exec("BEGIN IMMEDIATE");
      try {
        const result = await work(this.inside);
        this.raw.exec("COMMIT");
        return result;
      } catch (error) {
        if (this.raw.inTransaction) this.raw.exec("ROLLBACK");
        throw error;
      }
    } finally {
      this.openTransaction = undefined;
      end();
    }
  }

  async exec(sql: string): Promise<void> {
    while (this.openTransaction) await this.openTransaction;
    this.raw.exec(sql);
  }

  async close(): Promise<void> {
    while (this.openTransaction) await this.openTransaction;
    this.statements.clear();
    try {
      this.raw.close();
    } finally {
      this.afterClose?.();
    }
  }

  private runNow(sql: string, params: readonly SqlValue[]): SqlRunResult {
    return { changes: this.statement(sql).run(...bind(params)).changes };
  }

  /** Statements are compiled once per SQL text: preparing costs more than running most of ours. */
  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.raw.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
