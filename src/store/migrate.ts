import type { Database } from "better-sqlite3";

import { DatabaseTooNewError, StoreError } from "./errors.js";
import type { Migration } from "./migrations/migration.js";

export function schemaVersion(db: Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Brings the schema up to the last migration in `migrations`, one transaction per step, so a
 * failing step leaves the database at the previous version rather than half-migrated.
 */
export function migrate(db: Database, migrations: readonly Migration[], databasePath: string): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new StoreError(
        `migration "${migration.description}" has version ${migration.version} ` +
          `but is listed at position ${index + 1}`,
      );
    }
  });
  const current = schemaVersion(db);
  const latest = migrations.length;
  if (current > latest) {
    throw new DatabaseTooNewError(
      `the database ${databasePath} has schema version ${current}, but this version of the bridge only ` +
        `knows up to ${latest}; upgrade the bridge (or restore a backup made before the upgrade)`,
    );
  }
  for (const migration of migrations.slice(current)) {
    db.transaction(() => {
      migration.up(db);
      // user_version lives in the database header page, so it commits or rolls back with the step.
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}
