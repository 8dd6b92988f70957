// The durable writes every received message goes through, on both backends of the store: a
// real SQLite file in WAL mode with synchronous=FULL (as openDatabase configures it for the
// bridge), and a throwaway PostgreSQL server (test/support/postgres-server.ts: fsync on, on the
// same disk, over TCP on loopback) opened as the bridge opens it, writer lock included. Each
// figure is printed for SQLite, then for PostgreSQL.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import BetterSqlite3 from "better-sqlite3";
import type { StorageWrite } from "../../src/signal/index.js";
import { openStore } from "../../src/store/database.js";
import { formatCounts, migrateDatabase } from "../../src/store/migrate-db.js";
import { openDatabase, type Store } from "../../src/store/index.js";
import { openPostgresDatabase } from "../../src/store/sql/postgres-database.js";
import { redactDatabaseUri } from "../../src/store/sql/postgres-uri.js";
import { startPostgres } from "../../test/support/postgres-server.js";
import { measureLatency, type Figure } from "./measure.js";

const RUN = { warmupOps: 50, durationMs: 2000 };
const LOOKUP_RUN = { warmupOps: 500, durationMs: 1000 };

// Sizes the client wrote for a short text from a contact through the mock server (the session
// record the decrypt advanced, and the buffered content with its metadata).
const SESSION_RECORD_BYTES = 650;
const BUFFERED_PAYLOAD_BYTES = 300;

const SENDER = "0e7c5a8b-2222-4a4a-8b8b-000000000002";
const ROOM = "!portal:example.org";
const FIRST_SENT_AT = 1_700_000_000_000;
const MIGRATED_MAPPINGS = 100_000;

/**
 * The store figures on SQLite and on PostgreSQL, each operation's two figures one after the other,
 * then migrate-db copying the SQLite database the run filled into a fresh PostgreSQL database.
 */
export async function storeFigures(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), "bridge-bench-"));
  try {
    const databasePath = join(dir, "bridge.db");
    const keyFilePath = join(dir, "bridge.key");
    const sqliteStore = await openDatabase({ databasePath, keyFilePath });
    let sqlite: Figure[];
    try {
      sqlite = await figuresOf(sqliteStore, "sqlite");
    } finally {
      await sqliteStore.close();
    }
    let postgres: Figure[];
    try {
      postgres = await postgresFigures(databasePath, join(dir, "pg.key"));
    } catch (error) {
      // No PostgreSQL binaries here (or it would not start): the SQLite figures still count.
      console.error(`store on PostgreSQL not measured: ${(error as Error).message.split("\n")[0]}`);
      return sqlite;
    }
    const paired = sqlite.flatMap((figure, index) =>
      postgres[index] ? [figure, postgres[index]] : [figure],
    );
    return [...paired, ...postgres.slice(sqlite.length)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The operations on PostgreSQL, then migrate-db from `sqlitePath` (rows per second over the whole run). */
async function postgresFigures(sqlitePath: string, keyFilePath: string): Promise<Figure[]> {
  const server = await startPostgres();
  try {
    const uri = await server.createDatabase("bench");
    const store = await openStore(
      await openPostgresDatabase(uri, { lock: true }),
      redactDatabaseUri(uri),
      keyFilePath,
    );
    let figures: Figure[];
    try {
      figures = await figuresOf(store, "pg");
    } finally {
      await store.close();
    }
    // Enough rows for a rate that is not mostly start-up (connection, lock, schema): message
    // mappings added straight into the file, beside what the run wrote through the store.
    const file = new BetterSqlite3(sqlitePath);
    const insert = file.prepare(
      "INSERT INTO bridge_messages (room_id, author_aci, sent_at, part, event_id) VALUES (?, ?, ?, 0, ?)",
    );
    file.transaction(() => {
      for (let i = 0; i < MIGRATED_MAPPINGS; i++) {
        insert.run("!migrated:example.org", SENDER, FIRST_SENT_AT + i, `$migrated-${i}:example.org`);
      }
    })();
    file.close();
    const started = performance.now();
    const result = await migrateDatabase({
      from: sqlitePath,
      to: await server.createDatabase("bench_migrated"),
    });
    const elapsedMs = performance.now() - started;
    if (!result.matches) throw new Error(`migrate-db: the counts differ\n${formatCounts(result)}`);
    const rows = result.counts.reduce((sum, count) => sum + count.target, 0);
    figures.push({
      name: "store: migrate-db SQLite -> PostgreSQL (copy + count, all tables)",
      rate: rows / (elapsedMs / 1000),
      unit: "rows/s",
      count: rows,
    });
    return figures;
  } finally {
    await server.stop();
  }
}

async function figuresOf(store: Store, backend: string): Promise<Figure[]> {
  const named = (figure: Figure): Figure => ({
    ...figure,
    name: figure.name.replace(/^store: /, `store ${backend}: `),
  });
  const storage = await store.signalStorage("@bench:example.org");
  const session = new Uint8Array(randomBytes(SESSION_RECORD_BYTES));
  const payload = new Uint8Array(randomBytes(BUFFERED_PAYLOAD_BYTES));
  const envelopeKey = (i: number): string => `bench-envelope-${i}`;
  // What a decrypt commits before the envelope is acknowledged: the advanced session and the content.
  const receivedWrites = (i: number): StorageWrite[] => [
    { type: "session", ours: "aci", serviceId: SENDER, deviceId: 1, record: session },
    { type: "event", key: envelopeKey(i), payload },
  ];
  const received = await measureLatency(
    "store: commit received envelope (session + sealed event)",
    "ops/s",
    (i) => storage.commit(receivedWrites(i)),
    RUN,
  );
  const handled = await measureLatency(
    "store: mark buffered event handled",
    "ops/s",
    (i) => storage.commit([{ type: "event-done", key: envelopeKey(i) }]),
    // Each call needs an event still pending: one of those committed above.
    { ...RUN, maxOps: received.count },
  );

  const messageRef = (i: number) => ({
    roomId: ROOM,
    authorAci: SENDER,
    sentAt: FIRST_SENT_AT + i,
    part: 0,
    eventId: `$bench-${i}:example.org`,
  });
  const recorded = await measureLatency(
    "store: record message mapping (recordMessage)",
    "ops/s",
    (i) => store.bridge.recordMessage(messageRef(i)),
    RUN,
  );
  const mappings = RUN.warmupOps + recorded.count;
  const lookedUp = await measureLatency(
    "store: look up message mapping (eventsOfMessage)",
    "ops/s",
    (i) => store.bridge.eventsOfMessage(ROOM, SENDER, FIRST_SENT_AT + ((i * 7919) % mappings)),
    LOOKUP_RUN,
  );

  // The Matrix side's durable steps for each message from Matrix: the transaction journaled
  // before the homeserver's answer, the claim with its Signal timestamp, the entry marked handled.
  const journalEntry = (i: number) => {
    const eventId = `$bench-matrix-${i}:example.org`;
    const event = {
      event_id: eventId,
      room_id: ROOM,
      type: "m.room.message",
      sender: "@bench:example.org",
      origin_server_ts: FIRST_SENT_AT + i,
      content: { msgtype: "m.text", body: `message ${i}` },
    };
    return { key: eventId, roomId: ROOM, kind: "event" as const, event };
  };
  const journaled = await measureLatency(
    "store: journal a Matrix transaction of one event (takeIn)",
    "ops/s",
    (i) => store.matrixJournal.takeIn([journalEntry(i)]),
    RUN,
  );
  const claimed = await measureLatency(
    "store: claim a Matrix event with its Signal timestamp",
    "ops/s",
    (i) => store.bridge.claimOutgoing(`$bench-matrix-${i}:example.org`, ROOM, "@bench:example.org"),
    RUN,
  );
  const done = await measureLatency(
    "store: take the next journal entry and mark it handled",
    "ops/s",
    async () => {
      const entry = await store.matrixJournal.nextPending(ROOM);
      if (entry) await store.matrixJournal.markHandled(entry.seq);
    },
    { ...RUN, maxOps: journaled.count },
  );
  return [received, handled, recorded, lookedUp, journaled, claimed, done].map(named);
}
