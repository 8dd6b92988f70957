// One bridge process per SQLite database. Two would both connect to Signal as the same linked
// device and both bridge what arrives, so every message could show twice in Matrix; PostgreSQL
// has its advisory lock (postgres-database.ts), SQLite gets this.
//
// The lock is a file beside the database, `<database>.lock`, opened as a SQLite database of its
// own with an EXCLUSIVE transaction that stays open for as long as the bridge runs. SQLite's
// file locks are the operating system's, so they end with the process however it ends (kill -9
// and power cuts included); the file stays behind and holds nothing. The database file itself is
// not locked: `sqlite3` or a test may still read it while the bridge runs.
import { closeSync, existsSync, openSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { StoreError } from "../errors.js";

export interface SqliteWriterLock {
  /** Ends the lock (once; later calls do nothing). */
  release(): void;
}

/** Takes the writer lock of `databasePath`, or throws a StoreError naming the lock file. */
export function acquireSqliteWriterLock(databasePath: string): SqliteWriterLock {
  const path = `${databasePath}.lock`;
  // Created owner-only, like the database: nothing is in it, but nobody else needs to open it.
  // Only when missing: closing any descriptor of a file drops every POSIX lock this process holds
  // on it, so an existing lock file (maybe held by this process) is never opened outside SQLite.
  if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
  // No busy timeout: a lock held by another bridge is not going to be released soon.
  const lock = new BetterSqlite3(path, { timeout: 0 });
  try {
    lock.exec("BEGIN EXCLUSIVE");
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY") {
      throw new StoreError(
        `another bridge process is using this SQLite database (${path} is locked); stop it first`,
      );
    }
    throw error;
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      lock.close();
    },
  };
}
