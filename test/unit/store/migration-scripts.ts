import type { Database } from "better-sqlite3";

import { migrations } from "../../../src/store/migrations/list.js";

/**
 * The SQL each migration runs, oldest first: its `up` is called on a stand-in database that
 * records what it is given to `exec` and refuses anything else (a migration doing more than
 * running a script, e.g. reading rows to convert them, would need a PostgreSQL form by hand).
 * Works for `up(db)` written against better-sqlite3 (synchronous) and against SqlDatabase (async).
 */
export async function migrationScripts(): Promise<{ version: number; description: string; sql: string }[]> {
  const out: { version: number; description: string; sql: string }[] = [];
  for (const migration of migrations) {
    const parts: string[] = [];
    const recorder = new Proxy(
      {},
      {
        get(_target, property) {
          if (property === "exec") {
            return (sql: string) => {
              parts.push(sql);
              return undefined;
            };
          }
          if (property === "then") return undefined;
          throw new Error(
            `migration ${migration.version} uses db.${String(property)}: only exec scripts can be recorded`,
          );
        },
      },
    );
    await (migration.up as (db: unknown) => unknown)(recorder as Database);
    out.push({ version: migration.version, description: migration.description, sql: parts.join("\n") });
  }
  return out;
}
