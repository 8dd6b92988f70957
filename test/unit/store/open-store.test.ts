import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

import { tempDir } from "./temp-store.js";

const storeIndex = pathToFileURL(join(import.meta.dirname, "../../../src/store/index.js")).href;
/** Where the child resolves `pg` from: the repository (this file is in dist/test/unit/store/). */
const repository = join(import.meta.dirname, "../../../..");

test("a SQLite store is opened without loading pg (the PostgreSQL client)", async (t) => {
  const dir = tempDir(t);
  // In a process of its own: this test process has pg loaded already (temp-store.ts).
  const script = `
    import { createRequire } from "node:module";
    const pgModules = () =>
      Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes("/node_modules/pg/"));
    const { openConfiguredStore } = await import(${JSON.stringify(storeIndex)});
    const store = await openConfiguredStore({
      type: "sqlite",
      path: ${JSON.stringify(join(dir, "bridge.db"))},
      key_file: ${JSON.stringify(join(dir, "bridge.key"))},
    });
    await store.close();
    const afterSqlite = pgModules().length;
    await import("pg");
    console.log(JSON.stringify({ afterSqlite, afterImport: pgModules().length }));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
    cwd: repository,
  });
  const counts = JSON.parse(stdout) as { afterSqlite: number; afterImport: number };
  assert.ok(counts.afterImport > 0, "the check sees pg once it is loaded");
  assert.equal(counts.afterSqlite, 0, "pg was loaded for a SQLite store");
});
