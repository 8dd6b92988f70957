import assert from "node:assert/strict";
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";

import { openStore } from "../../../src/store/database.js";
import { KeyFileError, KeyMismatchError, openDatabase } from "../../../src/store/index.js";
import { openPostgresDatabase } from "../../../src/store/sql/postgres-database.js";
import { sampleAccount } from "./sample-records.js";
import { createPostgresStoreDatabase, openTempStore, storeTest } from "./temp-store.js";

storeTest(
  "first start creates a 32-byte key file with mode 0600 in a new 0700 directory",
  async (t, backend) => {
    const { store, paths } = await openTempStore(t, undefined, backend);
    await store.close();

    const stats = statSync(paths.keyFilePath);
    assert.equal(stats.mode & 0o777, 0o600);
    assert.equal(stats.size, 32);
    assert.equal(statSync(dirname(paths.keyFilePath)).mode & 0o777, 0o700);
  },
);

storeTest("later starts reuse the key file and can read what earlier starts wrote", async (t, backend) => {
  const { store: first, paths, reopen } = await openTempStore(t, undefined, backend);
  const account = sampleAccount();
  await (await first.signalStorage("@alice:example.org")).commit([{ type: "account", account }]);
  await first.close();
  const keyBefore = readFileSync(paths.keyFilePath);

  const second = await reopen();
  assert.deepEqual(readFileSync(paths.keyFilePath), keyBefore);
  assert.deepEqual(await (await second.signalStorage("@alice:example.org")).getAccount(), account);
});

storeTest("a key file readable by others is refused with the chmod to run", async (t, backend) => {
  const { store, paths, reopen } = await openTempStore(t, undefined, backend);
  await store.close();
  chmodSync(paths.keyFilePath, 0o644);

  await assert.rejects(
    () => reopen(),
    (error: unknown) =>
      error instanceof KeyFileError &&
      error.message.includes("permissions 0644") &&
      error.message.includes(`chmod 600 ${paths.keyFilePath}`),
  );
});

storeTest("a key file of the wrong length is refused", async (t, backend) => {
  const { store, paths, reopen } = await openTempStore(t, undefined, backend);
  await store.close();
  writeFileSync(paths.keyFilePath, randomBytes(16), { mode: 0o600 });

  await assert.rejects(
    () => reopen(),
    (error: unknown) =>
      error instanceof KeyFileError && error.message.includes("holds 16 bytes, expected 32"),
  );
});

storeTest(
  "a different key file is refused with 'the key file does not match this database'",
  async (t, backend) => {
    const { store, paths, reopen } = await openTempStore(t, undefined, backend);
    await (
      await store.signalStorage("@alice:example.org")
    ).commit([{ type: "account", account: sampleAccount() }]);
    await store.close();
    writeFileSync(paths.keyFilePath, randomBytes(32), { mode: 0o600 });

    await assert.rejects(
      () => reopen(),
      (error: unknown) =>
        error instanceof KeyMismatchError &&
        error.message.includes("the key file does not match this database"),
    );
  },
);

storeTest(
  "a missing key file is not silently replaced once the database has encrypted data",
  async (t, backend) => {
    const { store, paths, reopen } = await openTempStore(t, undefined, backend);
    await store.close();
    rmSync(paths.keyFilePath);

    await assert.rejects(
      () => reopen(),
      (error: unknown) => error instanceof KeyFileError && error.message.includes("is missing"),
    );
    assert.throws(() => statSync(paths.keyFilePath), /ENOENT/);
  },
);

storeTest("an existing key file is adopted by a new database", async (t, backend) => {
  const { store, paths } = await openTempStore(t, undefined, backend);
  await store.close();
  const key = readFileSync(paths.keyFilePath);

  // A new database (a new SQLite file, a new PostgreSQL database) with the same key file.
  if (backend === "sqlite") {
    rmSync(paths.databasePath);
    await (await openDatabase(paths)).close();
  } else {
    const uri = await createPostgresStoreDatabase(t.name);
    await (await openStore(await openPostgresDatabase(uri), uri, paths.keyFilePath)).close();
  }
  assert.deepEqual(readFileSync(paths.keyFilePath), key);
});
