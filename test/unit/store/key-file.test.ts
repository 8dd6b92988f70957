import assert from "node:assert/strict";
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { test } from "node:test";

import { KeyFileError, KeyMismatchError, openDatabase } from "../../../src/store/index.js";
import { sampleAccount } from "./sample-records.js";
import { storePaths, tempDir } from "./temp-store.js";

test("first start creates a 32-byte key file with mode 0600 in a new 0700 directory", async (t) => {
  const paths = storePaths(tempDir(t));
  await (await openDatabase(paths)).close();

  const stats = statSync(paths.keyFilePath);
  assert.equal(stats.mode & 0o777, 0o600);
  assert.equal(stats.size, 32);
  assert.equal(statSync(dirname(paths.keyFilePath)).mode & 0o777, 0o700);
});

test("later starts reuse the key file and can read what earlier starts wrote", async (t) => {
  const paths = storePaths(tempDir(t));
  const account = sampleAccount();
  const first = await openDatabase(paths);
  await (await first.signalStorage("@alice:example.org")).commit([{ type: "account", account }]);
  await first.close();
  const keyBefore = readFileSync(paths.keyFilePath);

  const second = await openDatabase(paths);
  t.after(() => second.close());
  assert.deepEqual(readFileSync(paths.keyFilePath), keyBefore);
  assert.deepEqual(await (await second.signalStorage("@alice:example.org")).getAccount(), account);
});

test("a key file readable by others is refused with the chmod to run", async (t) => {
  const paths = storePaths(tempDir(t));
  await (await openDatabase(paths)).close();
  chmodSync(paths.keyFilePath, 0o644);

  await assert.rejects(
    () => openDatabase(paths),
    (error: unknown) =>
      error instanceof KeyFileError &&
      error.message.includes("permissions 0644") &&
      error.message.includes(`chmod 600 ${paths.keyFilePath}`),
  );
});

test("a key file of the wrong length is refused", async (t) => {
  const paths = storePaths(tempDir(t));
  await (await openDatabase(paths)).close();
  writeFileSync(paths.keyFilePath, randomBytes(16), { mode: 0o600 });

  await assert.rejects(
    () => openDatabase(paths),
    (error: unknown) =>
      error instanceof KeyFileError && error.message.includes("holds 16 bytes, expected 32"),
  );
});

test("a different key file is refused with 'the key file does not match this database'", async (t) => {
  const paths = storePaths(tempDir(t));
  const store = await openDatabase(paths);
  await (
    await store.signalStorage("@alice:example.org")
  ).commit([{ type: "account", account: sampleAccount() }]);
  await store.close();
  writeFileSync(paths.keyFilePath, randomBytes(32), { mode: 0o600 });

  await assert.rejects(
    () => openDatabase(paths),
    (error: unknown) =>
      error instanceof KeyMismatchError &&
      error.message.includes("the key file does not match this database"),
  );
});

test("a missing key file is not silently replaced once the database has encrypted data", async (t) => {
  const paths = storePaths(tempDir(t));
  await (await openDatabase(paths)).close();
  rmSync(paths.keyFilePath);

  await assert.rejects(
    () => openDatabase(paths),
    (error: unknown) => error instanceof KeyFileError && error.message.includes("is missing"),
  );
  assert.throws(() => statSync(paths.keyFilePath), /ENOENT/);
});

test("an existing key file is adopted by a new database", async (t) => {
  const dir = tempDir(t);
  const paths = storePaths(dir);
  await (await openDatabase(paths)).close();
  const key = readFileSync(paths.keyFilePath);
  rmSync(paths.databasePath);

  await (await openDatabase(paths)).close();
  assert.deepEqual(readFileSync(paths.keyFilePath), key);
});
