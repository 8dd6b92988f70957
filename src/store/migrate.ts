import { DatabaseTooNewError, StoreError } from "./errors.js";
import type { Migration } from "./migrations/migration.js";
import type { SqlDatabase, SqlExecutor } from "./sql/sql-database.js";
import { toPostgresDdl } from "./sql/postgres-ddl.js";

// SQLite keeps the schema version in its header (`user_version`), where it commits or rolls back
// with the step; PostgreSQL has no such field, so a one-row table holds it there.
const POSTGRES_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS store_schema_version (version BIGINT NOT NULL)";

export async function schemaVersion(db: SqlDatabase): Promise<number> {
  if (db.dialect === "sqlite") {
    const row = await db.get<{ user_version: number }>("PRAGMA user_version");
    return row?.user_version ?? 0;
  }
  await db.exec(POSTGRES_VERSION_TABLE);
  const row = await db.get<{ version: number }>("SELECT version FROM store_schema_version");
  return row?.version ?? 0;
}

async function recordVersion(tx: SqlExecutor, db: SqlDatabase, version: number): Promise<void> {
  if (db.dialect === "sqlite") {
    await tx.exec(`PRAGMA user_version = ${version}`);
    return;
  }
  const { changes } = await tx.run("UPDATE store_schema_version SET version = ?", [version]);
  if (changes === 0) await tx.run("INSERT INTO store_schema_version (version) VALUES (?)", [version]);
}

/**
 * Brings the schema up to the last migration in `migrations`, one transaction per step, so a
 * failing step leaves the database at the previous version rather than half-migrated.
 * `where` names the database in messages (a path, or a URI without its password).
 */
export async function migrate(
  db: SqlDatabase,
  migrations: readonly Migration[],
  where: string,
): Promise<void> {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new StoreError(
        `migration "${migration.description}" has version ${migration.version} ` +
          `but is listed at position ${index + 1}`,
      );
    }
  });
  const current = await schemaVersion(db);
  const latest = migrations.length;
  if (current > latest) {
    throw new DatabaseTooNewError(
      `the database ${where} has schema version ${current}, but this version of the bridge only ` +
        `knows up to ${latest}; upgrade the bridge (or restore a backup made before the upgrade)`,
    );
  }
  for (const migration of migrations.slice(current)) {
    const sql = db.dialect === "postgres" ? toPostgresDdl(migration.sql) : migration.sql;
    await db.transaction(async (tx) => {
      await tx.exec(sql);
      await recordVersion(tx, db, migration.version);
    });
  }
}
