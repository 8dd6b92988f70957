// Opens the store the configuration names: SQLite (a file) or PostgreSQL (a URI).
import { openDatabase, openStore, type Store } from "./database.js";
import { StoreError } from "./errors.js";
import { passwordOf, redactDatabaseUri } from "./sql/postgres-uri.js";

export interface DatabaseSettings {
  type: "sqlite" | "postgres";
  /** SQLite file (type sqlite). */
  path: string;
  /** PostgreSQL URI (type postgres). */
  uri?: string | undefined;
  /** File holding the PostgreSQL password, when the URI has none. */
  password_file?: string | undefined;
  key_file: string;
}

/** Secrets of the settings that a log line must never show (the URI's password). */
export function databaseSecrets(settings: DatabaseSettings): string[] {
  const password = settings.uri ? passwordOf(settings.uri) : undefined;
  return password ? [password] : [];
}

/** What to call the database in messages: its path, or its URI without the password. */
export function describeDatabase(settings: DatabaseSettings): string {
  return settings.type === "postgres" && settings.uri ? redactDatabaseUri(settings.uri) : settings.path;
}

/**
 * Opens, migrates and checks the configured database. The bridge takes a writer lock first (an
 * advisory lock on PostgreSQL, a lock file beside a SQLite database): a second bridge process
 * pointed at the same database refuses to start instead of bridging beside the first.
 */
export async function openConfiguredStore(
  settings: DatabaseSettings,
  options: { now?: () => number; onWriterLockLost?: (error: Error) => void } = {},
): Promise<Store> {
  if (settings.type === "sqlite") {
    return openDatabase({
      databasePath: settings.path,
      keyFilePath: settings.key_file,
      writerLock: true,
      ...(options.now ? { now: options.now } : {}),
    });
  }
  if (!settings.uri) {
    throw new StoreError("database.type is postgres but database.uri is not set; set it to postgres://...");
  }
  // Loaded only here: a SQLite bridge has no use for pg (about 0.5 MiB once the rest is loaded).
  const { openPostgresDatabase } = await import("./sql/postgres-database.js");
  const db = await openPostgresDatabase(settings.uri, {
    lock: true,
    ...(settings.password_file ? { passwordFile: settings.password_file } : {}),
    ...(options.onWriterLockLost ? { onWriterLockLost: options.onWriterLockLost } : {}),
  });
  return openStore(db, redactDatabaseUri(settings.uri), settings.key_file, options.now);
}
