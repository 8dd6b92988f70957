import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";

import BetterSqlite3 from "better-sqlite3";

import { SqliteDatabase } from "../../../src/store/sql/sqlite-database.js";
import { tempDir } from "./temp-store.js";

const FULL = 2;

function openWal(path: string): SqliteDatabase {
  const raw = new BetterSqlite3(path);
  raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = FULL");
  return new SqliteDatabase(raw, () => undefined);
}

test("a statement flushed by the next commit is visible at once, kept after reopening, and leaves commits durable", async (t) => {
  const path = join(tempDir(t), "flush.db");
  const db = openWal(path);
  await db.exec("CREATE TABLE mapping (part INTEGER PRIMARY KEY, event_id TEXT NOT NULL)");

  const { changes } = await db.runFlushedByNextCommit("INSERT INTO mapping VALUES (?, ?)", [0, "$first"]);
  assert.equal(changes, 1);
  assert.deepEqual(await db.all("SELECT part, event_id FROM mapping"), [{ part: 0, event_id: "$first" }]);
  assert.equal(db.raw.pragma("synchronous", { simple: true }), FULL, "later commits are synced again");

  // A failing statement leaves the setting as it was too.
  await assert.rejects(
    db.runFlushedByNextCommit("INSERT INTO mapping VALUES (?, ?)", [0, "$again"]),
    /UNIQUE/,
  );
  assert.equal(db.raw.pragma("synchronous", { simple: true }), FULL, "synced again after a failure");

  await db.transaction(
    async (tx) => void (await tx.run("INSERT INTO mapping VALUES (?, ?)", [1, "$second"])),
  );
  await db.close();
  const reopened = openWal(path);
  t.after(() => reopened.close());
  assert.deepEqual(await reopened.all("SELECT part, event_id FROM mapping ORDER BY part"), [
    { part: 0, event_id: "$first" },
    { part: 1, event_id: "$second" },
  ]);
});

test("a statement flushed by the next commit waits for the open transaction, like any other", async (t) => {
  const db = openWal(join(tempDir(t), "wait.db"));
  t.after(() => db.close());
  await db.exec("CREATE TABLE mapping (part INTEGER PRIMARY KEY, event_id TEXT NOT NULL)");
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const transaction = db.transaction(async (tx) => {
    await held;
    await tx.run("INSERT INTO mapping VALUES (?, ?)", [0, "$in-transaction"]);
  });
  const outside = db.runFlushedByNextCommit("INSERT INTO mapping VALUES (?, ?)", [1, "$outside"]);
  await new Promise((resolve) => setImmediate(resolve));
  release();
  await Promise.all([transaction, outside]);
  assert.deepEqual(await db.all("SELECT part FROM mapping ORDER BY part"), [{ part: 0 }, { part: 1 }]);
});
