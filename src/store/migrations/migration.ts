/**
 * One schema step. `version` is its position in the list (1, 2, 3 ...) and becomes the database's
 * schema version once `sql` has run; the runner wraps each step in a transaction of its own.
 * `sql` is written in SQLite's dialect and translated for PostgreSQL (see sql/postgres-ddl.ts),
 * so it sticks to what translates: column types TEXT, INTEGER, BLOB, REAL; `STRICT` tables.
 */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}
