// One bridge per SQLite database: the store the bridge opens holds `<database>.lock` until it is
// closed or its process ends, and a second opener is refused with a message naming the cause.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { openConfiguredStore, openDatabase, StoreError } from "../../../src/store/index.js";
import { storePaths, tempDir } from "./temp-store.js";

const run = promisify(execFile);
const openStoreModule = fileURLToPath(new URL("../../../src/store/open-store.js", import.meta.url));

function settingsIn(dir: string) {
  const paths = storePaths(dir);
  return { type: "sqlite" as const, path: paths.databasePath, key_file: paths.keyFilePath };
}

/** Runs a second Node process that tries to open the same store; resolves with what it printed. */
async function openInAnotherProcess(settings: ReturnType<typeof settingsIn>): Promise<string> {
  const script = `
    const { openConfiguredStore } = await import(${JSON.stringify(openStoreModule)});
    try {
      const store = await openConfiguredStore(${JSON.stringify(settings)});
      await store.close();
      console.log("opened");
    } catch (error) {
      console.log("refused: " + error.message);
    }`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script]);
  return stdout.trim();
}

test("a second opener of a SQLite database the bridge holds is refused, in this process and in another", async (t) => {
  const settings = settingsIn(tempDir(t));
  const first = await openConfiguredStore(settings);
  try {
    await assert.rejects(openConfiguredStore(settings), (error: unknown) => {
      assert.ok(error instanceof StoreError, `a StoreError, got ${String(error)}`);
      assert.match(error.message, /another bridge process is using this SQLite database/);
      assert.match(error.message, /bridge\.db\.lock is locked/);
      return true;
    });
    assert.match(await openInAnotherProcess(settings), /^refused: another bridge process is using/);
    // The holder is unaffected.
    assert.equal(await first.answers(), true);
    assert.equal(statSync(`${settings.path}.lock`).mode & 0o777, 0o600, "the lock file is owner-only");
  } finally {
    await first.close();
  }
  assert.equal(await openInAnotherProcess(settings), "opened", "closing the store released the lock");
});

test("the lock ends with the process that held it", async (t) => {
  const settings = settingsIn(tempDir(t));
  // The other process opens the store and exits without closing it (as a killed bridge would).
  const script = `
    const { openConfiguredStore } = await import(${JSON.stringify(openStoreModule)});
    await openConfiguredStore(${JSON.stringify(settings)});
    process.exit(0);`;
  await run(process.execPath, ["--input-type=module", "-e", script]);
  const store = await openConfiguredStore(settings);
  await store.close();
});

test("stores opened without the writer lock (tools, tests) open beside the bridge's", async (t) => {
  const settings = settingsIn(tempDir(t));
  const bridge = await openConfiguredStore(settings);
  try {
    const beside = await openDatabase({ databasePath: settings.path, keyFilePath: settings.key_file });
    assert.equal(await beside.answers(), true);
    await beside.close();
  } finally {
    await bridge.close();
  }
});
