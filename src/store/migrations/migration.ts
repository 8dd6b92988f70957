import type { Database } from "better-sqlite3";

/**
 * One schema step. `version` is its position in the list (1, 2, 3 ...) and becomes the database's
 * `user_version` once `up` has run; the runner wraps `up` in a transaction of its own.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  up(db: Database): void;
}
