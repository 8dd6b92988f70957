// The PostgreSQL backend of SqlDatabase, through a pg connection pool.
//
// Statements are written with `?` placeholders (see sql-database.ts) and numbered here ($1, $2
// ...). Transactions are SERIALIZABLE and run again when PostgreSQL reports a serialization
// failure or a deadlock, so `work` must only do database work. One bridge process per database:
// `acquireWriterLock()` (or `lock: true`) takes a session advisory lock on a connection of its own,
// held until close().
//
// The URI may hold a password; no error leaving this module carries it (errors are rebuilt with
// the password cut out of every text), and redactDatabaseUri() gives the URI for logs.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import pg from "pg";
import { passwordOf, redactDatabaseUri } from "./postgres-uri.js";

import {
  type SqlDatabase,
  type SqlExecutor,
  type SqlRunResult,
  type SqlValue,
  storableText,
} from "./sql-database.js";
import { StoreError } from "../errors.js";
import { sqlSegments } from "./sql-segments.js";

export interface OpenPostgresOptions {
  /** A file holding the password (trimmed); used when the URI has none. */
  passwordFile?: string;
  /** Most pooled connections at once (default 8); the writer lock uses one more. */
  maxConnections?: number;
  /** Take the single-writer advisory lock while opening (see acquireWriterLock). */
  lock?: boolean;
  /** Attempts of a transaction that keeps meeting serialization failures (default 8). */
  maxTransactionAttempts?: number;
  /** Milliseconds to wait for a connection before failing (default 30 s). */
  connectTimeoutMs?: number;
  /** Called once if the writer lock's connection is lost; every later statement fails anyway. */
  onWriterLockLost?: (error: Error) => void;
}

/** An error from PostgreSQL or the connection, with the URI's password removed. */
export class PostgresError extends StoreError {
  override name = "PostgresError";
  /** SQLSTATE for server errors (e.g. 23505 unique violation), or Node's code (ECONNREFUSED). */
  readonly code: string | undefined;
  readonly detail: string | undefined;
  readonly constraint: string | undefined;

  constructor(message: string, fields: { code?: string; detail?: string; constraint?: string } = {}) {
    super(message);
    this.code = fields.code;
    this.detail = fields.detail;
    this.constraint = fields.constraint;
  }
}

/** Thrown by acquireWriterLock when another session holds the lock. */
export class WriterLockError extends StoreError {
  override name = "WriterLockError";
}

const writerLockMessage =
  "another bridge process is using this PostgreSQL database (advisory lock held); stop it first";

/** The advisory lock key: the first 8 bytes of SHA-256("signal-matrix-bridge"), as a signed int8. */
export const writerLockKey: string = createHash("sha256")
  .update("signal-matrix-bridge")
  .digest()
  .readBigInt64BE(0)
  .toString();

/** `text` with every form of each secret (raw, URI-encoded) replaced by `***`. */
function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, encodeURIComponent(secret), encodeURI(secret)])) {
      out = out.split(form).join("***");
    }
  }
  return out;
}

/**
 * A PostgresError standing for `error`, without the secrets anywhere in it. The original is not
 * kept as `cause` (pg's errors may hold the connection parameters).
 */
function cleanError(error: unknown, secrets: readonly string[]): Error {
  if (error instanceof PostgresError || error instanceof WriterLockError) return error;
  const e = (error ?? {}) as { message?: unknown; code?: unknown; detail?: unknown; constraint?: unknown };
  const text = (value: unknown) => (typeof value === "string" ? scrub(value, secrets) : undefined);
  const message = text(e.message) ?? scrub(String(error), secrets);
  const clean = new PostgresError(message || "PostgreSQL error", {
    code: text(e.code),
    detail: text(e.detail),
    constraint: text(e.constraint),
  });
  return clean;
}

const translations = new Map<string, string>();
const maxTranslations = 2000;

/**
 * `sql` with its `?` placeholders numbered `$1`, `$2` ... in order. A `?` inside a string literal,
 * a quoted identifier or a comment is left alone. Translations are cached per SQL text.
 */
export function numberPlaceholders(sql: string): string {
  const cached = translations.get(sql);
  if (cached !== undefined) return cached;
  let n = 0;
  const out = sqlSegments(sql)
    .map((segment) => (segment.code ? segment.text.replace(/\?/g, () => `$${++n}`) : segment.text))
    .join("");
  if (translations.size >= maxTranslations) translations.clear();
  translations.set(sql, out);
  return out;
}

/** int8 (COUNT, BIGINT columns) as a number; one beyond 2^53 as a bigint rather than rounded. */
function parseInt8(value: string): number | bigint {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : BigInt(value);
}

/** numeric (SUM of BIGINTs, AVG) as a number. */
function parseNumeric(value: string): number {
  return Number(value);
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

const typeParsers = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if ((format ?? "text") === "text") {
      if (oid === INT8_OID) return parseInt8;
      if (oid === NUMERIC_OID) return parseNumeric;
    }
    // pg's defaults: bytea as Buffer, int4 as number, text as string ...
    return pg.types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

function toParam(value: SqlValue): unknown {
  if (typeof value === "string") return storableText(value);
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

const retryableStates = new Set(["40001", "40P01"]);

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && retryableStates.has(code);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The statements of one transaction or of the pool, and a script runner. */
export interface PostgresExecutor extends SqlExecutor {
  /** Runs a script of statements without parameters (simple query protocol). */
  exec(sql: string): Promise<void>;
}

type Queryable = Pick<pg.Pool, "query"> | Pick<pg.PoolClient, "query">;

export class PostgresDatabase implements SqlDatabase, PostgresExecutor {
  readonly dialect = "postgres" as const;
  private closed = false;
  private lockClient: pg.Client | undefined;
  private lockLost: Error | undefined;
  private readonly maxAttempts: number;
  private readonly poolExecutor: PostgresExecutor;

  /** Use openPostgresDatabase. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly clientConfig: pg.ClientConfig,
    private readonly secrets: readonly string[],
    private readonly options: OpenPostgresOptions,
  ) {
    this.maxAttempts = Math.max(1, options.maxTransactionAttempts ?? 8);
    // An idle pooled connection that breaks (server restart) is dropped by the pool; without a
    // listener the 'error' event would end the process.
    pool.on("error", () => undefined);
    this.poolExecutor = this.executor(pool);
  }

  /**
   * Refuses work once the writer lock is lost (another process may be writing by now) and, except
   * for statements of transactions under way (close() waits for those), once closed.
   */
  private check(inTransaction = false): void {
    if (this.lockLost) throw this.lockLost;
    if (this.closed && !inTransaction) throw new PostgresError("the PostgreSQL database is closed");
  }

  private async query(
    on: Queryable,
    sql: string,
    params: readonly SqlValue[] | undefined,
    inTransaction: boolean,
  ) {
    this.check(inTransaction);
    try {
      // Without parameters pg uses the simple protocol, which also runs several statements.
      return params && params.length > 0
        ? await on.query({ text: numberPlaceholders(sql), values: params.map(toParam) })
        : await on.query(numberPlaceholders(sql));
    } catch (error) {
      throw cleanError(error, this.secrets);
    }
  }

  /** Statements on the pool, or (with `isOpen`) on the connection of one transaction. */
  private executor(on: Queryable, isOpen?: () => boolean): PostgresExecutor {
    const inTransaction = isOpen !== undefined;
    const guard = () => {
      if (isOpen && !isOpen()) throw new PostgresError("statement on a transaction that has already ended");
    };
    return {
      all: async <Row>(sql: string, params?: readonly SqlValue[]) => {
        guard();
        return (await this.query(on, sql, params, inTransaction)).rows as Row[];
      },
      get: async <Row>(sql: string, params?: readonly SqlValue[]) => {
        guard();
        return (await this.query(on, sql, params, inTransaction)).rows[0] as Row | undefined;
      },
      run: async (sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult> => {
        guard();
        return { changes: (await this.query(on, sql, params, inTransaction)).rowCount ?? 0 };
      },
      exec: async (sql: string) => {
        guard();
        this.check(inTransaction);
        try {
          await on.query(sql);
        } catch (error) {
          throw cleanError(error, this.secrets);
        }
      },
    };
  }

  all<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.poolExecutor.all<Row>(sql, params);
  }

  get<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
    return this.poolExecutor.get<Row>(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult> {
    return this.poolExecutor.run(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.poolExecutor.exec(sql);
  }

  /**
   * A plain, durable statement: PostgreSQL's way (a transaction with `SET LOCAL
   * synchronous_commit = off`) takes three more round trips, about what the WAL flush it saves
   * costs on a local server.
   */
  runFlushedByNextCommit(sql: string, params?: readonly SqlValue[]): Promise<SqlRunResult> {
    return this.poolExecutor.run(sql, params);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      this.check();
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (error) {
        throw cleanError(error, this.secrets);
      }
      let open = true;
      let broken: Error | undefined;
      const control = async (sql: string) => {
        try {
          await client.query(sql);
        } catch (error) {
          throw cleanError(error, this.secrets);
        }
      };
      try {
        await control("BEGIN ISOLATION LEVEL SERIALIZABLE");
        const result = await work(this.executor(client, () => open));
        open = false;
        await control("COMMIT");
        return result;
      } catch (error) {
        open = false;
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          // The connection is unusable: the pool must not hand it out again.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        if (isRetryable(error) && attempt < this.maxAttempts && !broken) {
          // Jittered, growing back-off so the competing transactions stop meeting.
          await sleep(Math.random() * 5 * 2 ** Math.min(attempt, 6));
          continue;
        }
        // Statement errors are PostgresErrors already; anything else is work's own, kept as it is.
        throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  /**
   * Takes the single-writer lock: a session advisory lock (pg_try_advisory_lock on
   * `writerLockKey`) on a connection of its own, held until close(). Throws WriterLockError when
   * another session (another bridge process) holds it. Advisory locks are per database, so
   * bridges on other databases of the same server do not meet.
   */
  acquireWriterLock(): Promise<void> {
    // Callers at once share one attempt; a failed attempt may be tried again.
    this.locking ??= this.lockOnce().finally(() => (this.locking = undefined));
    return this.locking;
  }

  private locking: Promise<void> | undefined;

  private async lockOnce(): Promise<void> {
    this.check();
    if (this.lockClient) return;
    const client = new pg.Client(this.clientConfig);
    const lost = (reason: string) => {
      if (this.closed || this.lockLost || this.lockClient !== client) return;
      this.lockLost = new PostgresError(
        `lost the connection holding the PostgreSQL writer lock (${reason}); ` +
          "another bridge process may be writing now, so this one stops using the database",
      );
      this.options.onWriterLockLost?.(this.lockLost);
    };
    client.on("error", (error: Error) => lost(cleanError(error, this.secrets).message));
    client.on("end", () => lost("connection ended"));
    try {
      await client.connect();
      const result = await client.query<{ granted: boolean }>(
        "SELECT pg_try_advisory_lock($1::bigint) AS granted",
        [writerLockKey],
      );
      if (result.rows[0]?.granted !== true) throw new WriterLockError(writerLockMessage);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw cleanError(error, this.secrets);
    }
    this.lockClient = client;
  }

  /** Whether this process holds the writer lock (taken and its connection not lost). */
  get holdsWriterLock(): boolean {
    return this.lockClient !== undefined && this.lockLost === undefined && !this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      // pool.end() waits for checked-out connections to be released: statements under way end
      // first, and the lock is let go only after them.
      await this.pool.end();
    } finally {
      const lock = this.lockClient;
      this.lockClient = undefined;
      await lock?.end().catch(() => undefined);
    }
  }
}

/**
 * Opens a pool on `uri` (postgres:// or postgresql://). The password comes from the URI, else
 * `passwordFile`, else pg's own fallbacks (PGPASSWORD, ~/.pgpass). Connects once to fail early.
 */
export async function openPostgresDatabase(
  uri: string,
  options: OpenPostgresOptions = {},
): Promise<PostgresDatabase> {
  const secrets: string[] = [];
  const inUri = passwordOf(uri);
  if (inUri) secrets.push(inUri);
  let connectionString = uri;
  if (!/^postgres(ql)?:\/\//i.test(uri)) {
    throw new PostgresError(
      `the database URI must start with postgres:// or postgresql://, not ${JSON.stringify(redactDatabaseUri(uri).slice(0, 12))}...`,
    );
  }
  if (options.passwordFile && !inUri) {
    let password: string;
    try {
      password = (await readFile(options.passwordFile, "utf8")).trim();
    } catch (error) {
      throw new PostgresError(
        `cannot read the PostgreSQL password file ${options.passwordFile}: ${(error as Error).message}`,
      );
    }
    if (!password) throw new PostgresError(`the PostgreSQL password file ${options.passwordFile} is empty`);
    secrets.push(password);
    const url = new URL(uri);
    url.password = encodeURIComponent(password);
    connectionString = url.toString();
  }
  const envPassword = process.env.PGPASSWORD;
  if (envPassword) secrets.push(envPassword);

  const clientConfig: pg.ClientConfig = {
    connectionString,
    types: typeParsers,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 30_000,
    // Notice a silently dead peer (the writer lock's connection above all).
    keepAlive: true,
    application_name: "signal-matrix-bridge",
  };
  const pool = new pg.Pool({ ...clientConfig, max: options.maxConnections ?? 8 });
  const db = new PostgresDatabase(pool, clientConfig, secrets, options);
  try {
    await db.get("SELECT 1");
    if (options.lock) await db.acquireWriterLock();
  } catch (error) {
    await db.close().catch(() => undefined);
    const clean = cleanError(error, secrets);
    if (clean instanceof WriterLockError) throw clean;
    throw new PostgresError(
      `cannot use the PostgreSQL database ${redactDatabaseUri(uri)}: ${clean.message}`,
      {
        code: (clean as PostgresError).code,
      },
    );
  }
  return db;
}
