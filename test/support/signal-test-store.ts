// A real (SQLite, encrypted) store in a temporary directory for the signal tier.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Store } from "../../src/store/index.js";

export interface TestStore {
  store: Store;
  dir: string;
  databasePath: string;
  keyFilePath: string;
  /** Closes and reopens the database (a bridge restart). */
  reopen(): Promise<Store>;
  close(): Promise<void>;
}

export async function openTestStore(): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), "signal-test-store-"));
  const databasePath = join(dir, "bridge.db");
  const keyFilePath = join(dir, "bridge.key");
  const result: TestStore = {
    store: await openDatabase({ databasePath, keyFilePath }),
    dir,
    databasePath,
    keyFilePath,
    async reopen() {
      await result.store.close();
      result.store = await openDatabase({ databasePath, keyFilePath });
      return result.store;
    },
    async close() {
      await result.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return result;
}
