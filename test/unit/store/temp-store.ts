import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";

import { openDatabase, type OpenDatabaseOptions, type Store } from "../../../src/store/index.js";

/** A fresh temp directory, removed when the test ends (pass or fail). */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "store-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Database and key file paths inside `dir`, in subdirectories that do not exist yet. */
export function storePaths(dir: string): OpenDatabaseOptions {
  return { databasePath: join(dir, "data", "bridge.db"), keyFilePath: join(dir, "secret", "bridge.key") };
}

/** Opens a store in a fresh temp dir, closed when the test ends. */
export async function openTempStore(
  t: TestContext,
  now?: () => number,
): Promise<{ store: Store; paths: OpenDatabaseOptions }> {
  const paths = storePaths(tempDir(t));
  const store = await openDatabase({ ...paths, now });
  t.after(async () => {
    try {
      await store.close();
    } catch {
      // already closed by the test
    }
  });
  return { store, paths };
}
