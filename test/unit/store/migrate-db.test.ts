// migrate-db: an install's SQLite database copied into PostgreSQL (a throwaway server from
// test/support/postgres-server.ts), then opened there with the same key file through the store API.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import BetterSqlite3 from "better-sqlite3";

import { openConfiguredStore, openDatabase, type Store } from "../../../src/store/index.js";
import { formatCounts, migrateDatabase } from "../../../src/store/migrate-db.js";
import { migrations } from "../../../src/store/migrations/list.js";
import { openPostgresDatabase } from "../../../src/store/sql/postgres-database.js";
import { type PostgresServer, startPostgres } from "../../support/postgres-server.js";
import { bytes, sampleAccount, sampleRecipient } from "./sample-records.js";
import { storePaths, tempDir } from "./temp-store.js";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../../../src/cli.js", import.meta.url));

let server: PostgresServer;

before(async () => {
  server = await startPostgres();
});

after(async () => {
  await server?.stop();
});

const ACCOUNT = "@alice:example.org";
const CONTACT = "5a3f1c2e-1b2c-4d3e-8f40-123456789abc";
const ROOM = "!portal:example.org";

/** What the filled store holds, to compare after the move. */
interface Filled {
  databasePath: string;
  keyFilePath: string;
  account: ReturnType<typeof sampleAccount>;
  session: Uint8Array;
  preKey: Uint8Array;
  group: Uint8Array;
  event: Uint8Array;
  cryptoValue: Uint8Array;
  chat: Uint8Array;
  journalSeqs: number[];
}

/** A SQLite store filled through the store API with a bit of everything, closed again. */
async function fillSqlite(t: TestContext): Promise<Filled> {
  const { databasePath, keyFilePath } = storePaths(tempDir(t));
  const store = await openDatabase({ databasePath, keyFilePath });
  const account = sampleAccount();
  const session = bytes(300);
  const preKey = bytes(80);
  const group = bytes(200);
  const event = bytes(120);
  const cryptoValue = bytes(64);
  const chat = bytes(500);
  try {
    const signal = await store.signalStorage(ACCOUNT);
    await signal.commit([
      { type: "account", account },
      {
        type: "identity",
        serviceId: CONTACT,
        identity: { publicKey: bytes(33), verification: "default", firstSeenAt: 1_700_000_000_000 },
      },
      { type: "session", ours: "aci", serviceId: CONTACT, deviceId: 1, record: session },
      { type: "pre-key", ours: "aci", id: 5, record: preKey },
      { type: "signed-pre-key", ours: "aci", id: 1, record: bytes(100) },
      { type: "signed-pre-key", ours: "pni", id: 2, record: bytes(100) },
      { type: "kyber-pre-key", ours: "aci", id: 3, record: bytes(1500), lastResort: true },
      { type: "kyber-base-key-used", ours: "aci", id: 3, signedPreKeyId: 1, baseKey: bytes(33) },
      { type: "sender-key", serviceId: CONTACT, deviceId: 1, distributionId: "d-1", record: bytes(90) },
      {
        type: "sender-key-distribution",
        record: {
          groupId: "Z3JvdXA=",
          distributionId: "d-1",
          createdAt: 1_700_000_000_500,
          sharedWith: [{ serviceId: CONTACT, deviceId: 1, registrationId: 77 }],
        },
      },
      { type: "recipient", recipient: sampleRecipient(CONTACT) },
      { type: "group", groupId: "Z3JvdXA=", record: group },
      { type: "event", key: "env-1", payload: bytes(50) },
      { type: "event", key: "env-2", payload: event },
    ]);
    await signal.commit([{ type: "event-done", key: "env-1" }]);
    // A second account, deleted again: its seq values leave a gap the target must not reuse.
    const other = await store.signalStorage("@bob:example.org");
    await other.commit([{ type: "event", key: "env-b", payload: bytes(10) }]);
    await store.deleteSignalAccount("@bob:example.org");

    await store.bridge.setManagementRoom(ACCOUNT, "!management:example.org");
    await store.bridge.setSpace(ACCOUNT, "!space:example.org");
    await store.bridge.savePortal({
      portalKey: `direct:${CONTACT}`,
      roomId: ROOM,
      kind: "direct",
      chatId: CONTACT,
      receiver: ACCOUNT,
      name: "Alice's chat",
      topic: undefined,
      avatarUrl: undefined,
    });
    await store.bridge.savePortal({
      portalKey: "group:Z3JvdXA=",
      roomId: "!group:example.org",
      kind: "group",
      chatId: "Z3JvdXA=",
      receiver: undefined,
      name: "A group",
      topic: "its topic",
      avatarUrl: "mxc://example.org/avatar",
    });
    await store.bridge.setGroupPortalState("group:Z3JvdXA=", {
      revision: 4,
      noticeRevision: 3,
      avatarKey: undefined,
    });
    await store.bridge.setMessageRequest(`direct:${CONTACT}`, true);
    for (let i = 0; i < 1200; i++) {
      await store.bridge.recordMessage({
        roomId: ROOM,
        authorAci: CONTACT,
        sentAt: 1_700_000_000_000 + i,
        part: 0,
        eventId: `$m${i}`,
      });
    }
    await store.bridge.saveReaction({
      roomId: ROOM,
      reactorAci: CONTACT,
      targetAuthorAci: CONTACT,
      targetSentAt: 1_700_000_000_000,
      emoji: "👍",
      eventId: "$reaction",
    });
    await store.bridge.claimOutgoing("$out", ROOM, ACCOUNT);
    await store.bridge.saveGhost({
      aci: CONTACT,
      displayName: "Alice",
      avatarUrl: undefined,
      avatarHash: undefined,
    });
    await store.bridge.savePollAnswers("$poll", ROOM, ["a", "b"]);
    await store.bridge.setChatState(ACCOUNT, CONTACT, "accepted");
    await store.disappearing.setTimer(ROOM, { seconds: 3600, version: 2 });
    await store.disappearing.schedule({
      eventId: "$m1",
      roomId: ROOM,
      sentAt: 1_700_000_000_001,
      timerMs: 3_600_000,
      expiresAt: 1_700_003_600_001,
    });

    await store.matrixJournal.takeIn(
      ["$j1", "$j2", "$j3"].map((key) => ({
        key,
        roomId: ROOM,
        kind: "event" as const,
        event: { event_id: key, type: "m.room.message", content: { body: `text of ${key}` } },
      })),
    );
    const first = await store.matrixJournal.nextPending(ROOM);
    await store.matrixJournal.markHandled(first!.seq);

    await store.matrixCrypto.setValue("device", cryptoValue);
    await store.matrixCrypto.markEncryptionNotice(ROOM);
    await store.doublePuppets.saveToken(ACCOUNT, "syt_secret_token");
    await store.history.begin(ACCOUNT);
    await store.history.setArchive(ACCOUNT, { cdn: 3, key: "archive-key" });
    await store.history.plan(ACCOUNT, [
      { portalKey: `direct:${CONTACT}`, contents: chat },
      { portalKey: "group:Z3JvdXA=", contents: bytes(20) },
    ]);

    const db = new BetterSqlite3(databasePath, { readonly: true });
    const journalSeqs = (
      db.prepare("SELECT seq FROM bridge_matrix_journal ORDER BY seq").all() as { seq: number }[]
    ).map((row) => row.seq);
    db.close();
    return {
      databasePath,
      keyFilePath,
      account,
      session,
      preKey,
      group,
      event,
      cryptoValue,
      chat,
      journalSeqs,
    };
  } finally {
    await store.close();
  }
}

/** The target opened as the bridge opens its configured database (writer lock, migrate, key check). */
/** A row as text that compares equal across the backends: columns by name, bytes as hex. */
function canonical(row: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(row)
      .sort()
      .map((column) => {
        const value = row[column];
        return [column, Buffer.isBuffer(value) ? `hex:${value.toString("hex")}` : value];
      }),
  );
}

async function openTarget(t: TestContext, uri: string, keyFilePath: string): Promise<Store> {
  const store = await openConfiguredStore({
    type: "postgres",
    path: "unused.db",
    uri,
    key_file: keyFilePath,
  });
  t.after(() => store.close().catch(() => undefined));
  return store;
}

test("a filled SQLite store moves to PostgreSQL and opens there with the same key file", async (t) => {
  const filled = await fillSqlite(t);
  const uri = await server.createDatabase("migrate_full");
  const progress: string[] = [];
  const result = await migrateDatabase({
    from: filled.databasePath,
    to: uri,
    // Small batches by bytes: the sealed blobs' tables go over several statements.
    batchRows: 500,
    batchBytes: 4096,
    onProgress: (line) => progress.push(line),
  });
  assert.equal(result.matches, true, formatCounts(result));
  assert.equal(result.schemaVersion, migrations.length);
  const counts = new Map(result.counts.map((count) => [count.table, count]));
  // Every table the migrations create, store_schema_version aside (it is PostgreSQL's own).
  const sqlite = new BetterSqlite3(filled.databasePath, { readonly: true });
  const sqliteTables = (
    sqlite
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")
      .all() as {
      name: string;
    }[]
  ).map((row) => row.name);
  sqlite.close();
  assert.deepEqual([...counts.keys()].sort(), sqliteTables.sort());
  for (const table of ["store_meta", "signal_accounts", "bridge_portals", "bridge_history_chats"]) {
    assert.ok(counts.has(table), table);
  }
  assert.deepEqual(counts.get("bridge_messages"), { table: "bridge_messages", source: 1200, target: 1200 });
  assert.equal(counts.get("signal_accounts")!.target, 1);
  assert.equal(counts.get("signal_event_buffer")!.target, 2);
  assert.equal(counts.get("bridge_matrix_journal")!.target, 3);
  // Parents are copied before their children.
  const order = result.counts.map((count) => count.table);
  assert.ok(order.indexOf("signal_accounts") < order.indexOf("signal_sessions"));
  assert.ok(order.indexOf("bridge_history_imports") < order.indexOf("bridge_history_chats"));
  assert.ok(progress.includes("  bridge_messages: 1200 rows"), progress.join("\n"));
  assert.ok(progress.includes("  signal_accounts: 1 row"), progress.join("\n"));
  assert.ok(
    !progress.some((line) => line.includes("bridge_crypto_databases")),
    "empty tables are not listed",
  );
  assert.match(formatCounts(result), /every count matches/);
  assert.ok(!formatCounts(result).includes(server.password));

  // Every row of every table arrived as it was, sealed bytes included.
  const source = new BetterSqlite3(filled.databasePath, { readonly: true });
  const copy = await openPostgresDatabase(uri);
  try {
    for (const table of sqliteTables) {
      const fromSqlite = (source.prepare(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[]).map(
        canonical,
      );
      const fromPostgres = (await copy.all<Record<string, unknown>>(`SELECT * FROM "${table}"`)).map(
        canonical,
      );
      assert.deepEqual(fromPostgres.sort(), fromSqlite.sort(), table);
    }
  } finally {
    source.close();
    await copy.close();
  }

  const store = await openTarget(t, uri, filled.keyFilePath);
  assert.deepEqual(await store.listSignalAccounts(), [ACCOUNT]);
  const signal = await store.signalStorage(ACCOUNT);
  assert.deepEqual(await signal.getAccount(), filled.account);
  assert.deepEqual(await signal.getSession("aci", CONTACT, 1), filled.session);
  assert.deepEqual(await signal.getPreKey("aci", 5), filled.preKey);
  assert.deepEqual(await signal.listSignedPreKeyIds("aci"), [1]);
  assert.deepEqual(await signal.listLastResortKyberPreKeyIds("aci"), [3]);
  assert.deepEqual(await signal.getGroup("Z3JvdXA="), filled.group);
  assert.deepEqual((await signal.getRecipient(CONTACT))?.profileName, "Alice");
  assert.deepEqual(
    (await signal.listPendingEvents()).map((event) => [event.key, Buffer.from(event.payload)]),
    [["env-2", Buffer.from(filled.event)]],
  );
  assert.equal(await store.pendingSignalEventCount(), 1);

  assert.equal((await store.bridge.portalByRoom(ROOM))?.name, "Alice's chat");
  assert.equal(await store.bridge.isMessageRequest(`direct:${CONTACT}`), true);
  assert.deepEqual(await store.bridge.groupPortalState("group:Z3JvdXA="), {
    revision: 4,
    noticeRevision: 3,
    avatarKey: undefined,
  });
  assert.equal(await store.bridge.managementRoomOf(ACCOUNT), "!management:example.org");
  assert.equal(await store.bridge.spaceOf(ACCOUNT), "!space:example.org");
  assert.equal((await store.bridge.messageOfEvent("$m1199"))?.sentAt, 1_700_000_001_199);
  assert.equal((await store.bridge.reactionByEvent("$reaction"))?.emoji, "👍");
  assert.equal((await store.bridge.outgoing("$out"))?.state, "sending");
  assert.deepEqual(await store.bridge.pollAnswersOf("$poll"), ["a", "b"]);
  assert.equal(await store.bridge.chatState(ACCOUNT, CONTACT), "accepted");
  assert.equal((await store.disappearing.timerOf(ROOM))?.seconds, 3600);
  assert.equal((await store.disappearing.scheduled("$m1"))?.expiresAt, 1_700_003_600_001);

  // Secrets sealed under the bridge key or the account's data key open.
  assert.deepEqual(await store.matrixCrypto.value("device"), Buffer.from(filled.cryptoValue));
  assert.equal(await store.matrixCrypto.markEncryptionNotice(ROOM), false);
  assert.equal(await store.doublePuppets.tokenOf(ACCOUNT), "syt_secret_token");
  const historyImport = await store.history.importOf(ACCOUNT);
  assert.equal(historyImport?.state, "importing");
  assert.deepEqual(historyImport?.archive, { cdn: 3, key: "archive-key" });
  assert.deepEqual(
    (await store.history.chats(ACCOUNT)).map((chat) => chat.portalKey),
    [`direct:${CONTACT}`, "group:Z3JvdXA="],
  );
  assert.deepEqual(Buffer.from(await store.history.chatContents(ACCOUNT, 0)), Buffer.from(filled.chat));

  // The journal keeps its order, and new rows get seq values past the copied ones (setval).
  const pending = await store.matrixJournal.nextPending(ROOM);
  assert.equal(pending?.seq, filled.journalSeqs[1]);
  assert.deepEqual(pending?.event, {
    event_id: "$j2",
    type: "m.room.message",
    content: { body: "text of $j2" },
  });
  await store.matrixJournal.takeIn([{ key: "$j4", roomId: "!other:example.org", kind: "event", event: {} }]);
  const added = await store.matrixJournal.nextPending("!other:example.org");
  assert.ok(
    added!.seq > Math.max(...filled.journalSeqs),
    `${added!.seq} after ${filled.journalSeqs.join(", ")}`,
  );
  // The deleted account's event buffer seq is not handed out again either (AUTOINCREMENT's mark).
  await signal.commit([{ type: "event", key: "env-3", payload: bytes(8) }]);
  assert.equal((await signal.getEvent("env-3"))?.state, "pending");
  const raw = await openPostgresDatabase(uri);
  t.after(() => raw.close());
  const seqs = await raw.all<{ envelope_key: string; seq: number }>(
    "SELECT envelope_key, seq FROM signal_event_buffer ORDER BY seq",
  );
  assert.deepEqual(
    seqs.map((row) => row.envelope_key),
    ["env-1", "env-2", "env-3"],
  );
  // env-b (seq 3) was deleted with its account; SQLite's AUTOINCREMENT never reuses it, nor does the target.
  assert.equal(seqs[2]!.seq, 4);
});

test("a target that already holds bridge tables is refused, and left as it was", async (t) => {
  const filled = await fillSqlite(t);
  const uri = await server.createDatabase("migrate_nonempty");
  assert.equal((await migrateDatabase({ from: filled.databasePath, to: uri })).matches, true);
  await assert.rejects(migrateDatabase({ from: filled.databasePath, to: uri }), (error: Error) => {
    assert.match(error.message, /already holds bridge tables \(bridge_chat_states, .* and 28 more\)/);
    assert.match(error.message, /only copies into an empty database/);
    assert.ok(!error.message.includes(server.password));
    return true;
  });
  const store = await openTarget(t, uri, filled.keyFilePath);
  assert.equal((await store.bridge.portalCounts()).direct, 1);
});

test("a target a bridge is running on is refused (writer lock)", async (t) => {
  const filled = await fillSqlite(t);
  const uri = await server.createDatabase("migrate_locked");
  const running = await openPostgresDatabase(uri, { lock: true });
  t.after(() => running.close());
  await assert.rejects(migrateDatabase({ from: filled.databasePath, to: uri }), /another bridge process/);
});

test("a wrong password or an unreachable server gives a clear error without the password", async (t) => {
  const filled = await fillSqlite(t);
  const uri = await server.createDatabase("migrate_wrong");
  const wrong = uri.replace(`:${server.password}@`, ":wrong-Passw0rd@");
  assert.notEqual(wrong, uri);
  await assert.rejects(migrateDatabase({ from: filled.databasePath, to: wrong }), (error: Error) => {
    assert.match(error.message, /cannot use the PostgreSQL database postgresql:\/\/bridge_test:\*\*\*@/);
    assert.match(error.message, /password authentication failed/);
    assert.ok(!error.message.includes("wrong-Passw0rd"), error.message);
    return true;
  });
  const unreachable = `postgresql://someone:Sekr3t-pw@127.0.0.1:1/nowhere`;
  await assert.rejects(migrateDatabase({ from: filled.databasePath, to: unreachable }), (error: Error) => {
    assert.match(
      error.message,
      /cannot use the PostgreSQL database postgresql:\/\/someone:\*\*\*@127\.0\.0\.1:1/,
    );
    assert.match(error.message, /ECONNREFUSED/);
    assert.ok(!error.message.includes("Sekr3t-pw"), error.message);
    return true;
  });
  // Nothing was written where the password was right but never used.
  const db = await openPostgresDatabase(uri);
  t.after(() => db.close());
  assert.deepEqual(
    await db.all("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"),
    [],
  );
});

test("a SQLite database behind this bridge's schema version is refused with what to do", async (t) => {
  const filled = await fillSqlite(t);
  const db = new BetterSqlite3(filled.databasePath);
  db.pragma(`user_version = ${migrations.length - 1}`);
  db.close();
  const uri = await server.createDatabase("migrate_old");
  await assert.rejects(
    migrateDatabase({ from: filled.databasePath, to: uri }),
    new RegExp(
      `schema version ${migrations.length - 1}, older than this bridge's ${migrations.length}; start this version of the bridge once on it`,
    ),
  );
  await assert.rejects(
    migrateDatabase({ from: join(tempDir(t), "missing.db"), to: uri }),
    /cannot open the SQLite database .*missing\.db/,
  );
});

test("a SQLite database with a table more or less than the migrations make is refused, the target left empty", async (t) => {
  const filled = await fillSqlite(t);
  const db = new BetterSqlite3(filled.databasePath);
  db.exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hand-made')");
  db.close();
  const uri = await server.createDatabase("migrate_extra");
  await assert.rejects(
    migrateDatabase({ from: filled.databasePath, to: uri }),
    /the SQLite database has tables the migrations do not create \(notes\)/,
  );
  const changed = new BetterSqlite3(filled.databasePath);
  changed.exec("DROP TABLE notes; DROP TABLE bridge_poll_answers");
  changed.close();
  await assert.rejects(
    migrateDatabase({ from: filled.databasePath, to: uri }),
    /the SQLite database lacks tables its schema version has \(bridge_poll_answers\)/,
  );
  const target = await openPostgresDatabase(uri);
  t.after(() => target.close());
  assert.deepEqual(
    await target.all("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"),
    [],
  );
});

test("the CLI: migrate-db --from --to --password-file prints the counts; a second run exits 1", async (t) => {
  const filled = await fillSqlite(t);
  const uri = await server.createDatabase("migrate_cli");
  const withoutPassword = uri.replace(`:${server.password}@`, "@");
  const passwordFile = join(tempDir(t), "pg-password");
  writeFileSync(passwordFile, `${server.password}\n`, { mode: 0o600 });
  const args = [cli, "migrate-db", "--from", filled.databasePath, "--to", withoutPassword];
  const { stdout } = await run(process.execPath, [...args, "--password-file", passwordFile]);
  assert.match(stdout, /bridge_messages\s+1200\s+1200\s+ok/);
  assert.match(stdout, /every count matches/);
  assert.ok(!stdout.includes(server.password));

  const second = await run(process.execPath, [
    cli,
    "migrate-db",
    "--from",
    filled.databasePath,
    "--to",
    uri,
  ]).then(
    () => assert.fail("a second run into the same database must fail"),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  assert.equal(second.code, 1);
  assert.match(second.stderr, /already holds bridge tables/);
  assert.ok(!second.stderr.includes(server.password) && !second.stdout.includes(server.password));

  const usage = await run(process.execPath, [cli, "migrate-db", "--from", filled.databasePath]).then(
    () => assert.fail("--to is required"),
    (error: { code: number; stderr: string }) => error,
  );
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /needs both --from <sqlite file> and --to <postgres uri>/);

  const store = await openTarget(t, uri, filled.keyFilePath);
  assert.equal(await store.doublePuppets.tokenOf(ACCOUNT), "syt_secret_token");
});

test("the count table marks a table whose counts differ, and says the copy is not complete", () => {
  const text = formatCounts({
    schemaVersion: 14,
    matches: false,
    counts: [
      { table: "store_meta", source: 1, target: 1 },
      { table: "bridge_messages", source: 1200, target: 1199 },
    ],
  });
  assert.match(text, /^table\s+sqlite\s+postgres$/m);
  assert.match(text, /^store_meta\s+1\s+1\s+ok$/m);
  assert.match(text, /^bridge_messages\s+1200\s+1199\s+MISMATCH$/m);
  assert.match(text, /1 of 2 tables differ: the copy is NOT complete$/);
});
