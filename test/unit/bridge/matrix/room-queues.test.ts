import assert from "node:assert/strict";
import { test } from "node:test";
import { RoomQueues } from "../../../../src/bridge/matrix/room-queues.js";
import { createLogger } from "../../../../src/logger.js";
import type { IncomingJournalEvent, JournalEntry, Store } from "../../../../src/store/index.js";
import { openTempStore } from "../../store/temp-store.js";

const quiet = createLogger("error", "test", () => true);

function message(roomId: string, n: number): IncomingJournalEvent {
  const event = {
    event_id: `$${roomId}-${n}`,
    room_id: roomId,
    type: "m.room.message",
    sender: "@u:hs",
    content: { body: String(n) },
  };
  return { key: event.event_id, roomId, kind: "event", event };
}

async function journalOf(store: Store, _txnId: string, events: IncomingJournalEvent[]) {
  return await store.matrixJournal.takeIn(events);
}

/** Resolves when `count` entries were handled, or rejects naming what is missing. */
function handledCount(seen: string[], count: number, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (seen.length >= count) return resolve();
      if (Date.now() - started > timeoutMs)
        return reject(new Error(`only ${seen.length} of ${count} entries were handled`));
      setTimeout(check, 5);
    };
    check();
  });
}

const bodyOf = (entry: JournalEntry) => String((entry.event["content"] as { body: string }).body);

test("a room's entries are handled one at a time in journal order, rooms side by side", async (t) => {
  const { store } = await openTempStore(t);
  const seen: string[] = [];
  let inRoomA = 0;
  let maxInRoomA = 0;
  let roomsAtOnce = 0;
  let maxRoomsAtOnce = 0;
  const queues = new RoomQueues({
    journal: store.matrixJournal,
    concurrency: 4,
    logger: quiet,
    handle: async (entry) => {
      roomsAtOnce++;
      maxRoomsAtOnce = Math.max(maxRoomsAtOnce, roomsAtOnce);
      if (entry.roomId === "!a") maxInRoomA = Math.max(maxInRoomA, ++inRoomA);
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (entry.roomId === "!a") inRoomA--;
      roomsAtOnce--;
      seen.push(`${entry.roomId}:${bodyOf(entry)}`);
    },
  });
  await journalOf(store, "t1", [
    ...Array.from({ length: 20 }, (_, i) => message("!a", i)),
    message("!b", 0),
    message("!c", 0),
  ]);
  await queues.resumeAll();
  const intake = await journalOf(
    store,
    "t2",
    Array.from({ length: 10 }, (_, i) => message("!a", 20 + i)),
  );
  intake.rooms.forEach((room) => queues.kick(room));
  await handledCount(seen, 32);
  await queues.stop();
  const roomA = seen.filter((s) => s.startsWith("!a:")).map((s) => Number(s.slice(3)));
  assert.deepEqual(
    roomA,
    Array.from({ length: 30 }, (_, i) => i),
    "room A in order, each once",
  );
  assert.equal(maxInRoomA, 1, "never two entries of one room at once");
  assert.ok(maxRoomsAtOnce > 1, "rooms are handled side by side");
  assert.equal(await store.matrixJournal.pendingCount(), 0);
});

test("a transient failure holds the room's later entries and is retried until it succeeds", async (t) => {
  const { store } = await openTempStore(t);
  const seen: string[] = [];
  let failuresLeft = 3;
  const queues = new RoomQueues({
    journal: store.matrixJournal,
    concurrency: 2,
    logger: quiet,
    sleep: async () => undefined,
    handle: async (entry) => {
      if (entry.roomId === "!a" && bodyOf(entry) === "1" && failuresLeft-- > 0) {
        throw Object.assign(new Error("homeserver away"), { statusCode: 502 });
      }
      seen.push(`${entry.roomId}:${bodyOf(entry)}`);
    },
  });
  await journalOf(store, "t1", [message("!a", 0), message("!a", 1), message("!a", 2), message("!b", 0)]);
  await queues.resumeAll();
  await handledCount(seen, 4);
  await queues.stop();
  assert.deepEqual(
    seen.filter((s) => s.startsWith("!a")),
    ["!a:0", "!a:1", "!a:2"],
  );
  assert.equal(failuresLeft, -1, "the failing entry was tried until it went through");
});

test("a permanent failure or a bug skips that entry alone", async (t) => {
  const { store } = await openTempStore(t);
  const seen: string[] = [];
  const queues = new RoomQueues({
    journal: store.matrixJournal,
    concurrency: 2,
    logger: quiet,
    handle: async (entry) => {
      if (bodyOf(entry) === "1") throw new TypeError("cannot read properties of null");
      if (bodyOf(entry) === "2")
        throw Object.assign(new Error("forbidden"), { statusCode: 403, errcode: "M_FORBIDDEN" });
      seen.push(bodyOf(entry));
    },
  });
  await journalOf(
    store,
    "t1",
    [0, 1, 2, 3].map((n) => message("!a", n)),
  );
  await queues.resumeAll();
  await handledCount(seen, 2);
  await queues.stop();
  assert.deepEqual(seen, ["0", "3"]);
  assert.equal(await store.matrixJournal.pendingCount(), 0, "skipped entries are not handled again");
});

test("entries stopped in the middle stay in the journal and are handled first at the next start", async (t) => {
  const { store } = await openTempStore(t);
  let release: () => void = () => undefined;
  const first = new RoomQueues({
    journal: store.matrixJournal,
    concurrency: 1,
    logger: quiet,
    sleep: (_ms, signal) =>
      new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(new Error("stopped")))),
    handle: async (entry) => {
      if (bodyOf(entry) === "1") {
        release();
        throw Object.assign(new Error("Signal away"), { code: "ECONNRESET" });
      }
    },
  });
  await journalOf(
    store,
    "t1",
    [0, 1, 2].map((n) => message("!a", n)),
  );
  const waiting = new Promise<void>((resolve) => (release = resolve));
  await first.resumeAll();
  await waiting;
  await first.stop();
  assert.equal(
    await store.matrixJournal.pendingCount(),
    2,
    "the interrupted entry and the one behind it wait",
  );

  const seen: string[] = [];
  const second = new RoomQueues({
    journal: store.matrixJournal,
    concurrency: 1,
    logger: quiet,
    handle: async (entry) => void seen.push(bodyOf(entry)),
  });
  await journalOf(store, "t2", [message("!a", 3)]);
  second.kick("!a"); // before resumeAll: the bridge is still starting, the entry waits its turn
  await second.resumeAll();
  await handledCount(seen, 3);
  await second.stop();
  assert.deepEqual(seen, ["1", "2", "3"]);
});

test("a transaction taken in twice, or an event in two transactions, is journaled once", async (t) => {
  const { store } = await openTempStore(t);
  const events = [message("!a", 0), message("!a", 1)];
  assert.deepEqual(await journalOf(store, "t1", events), { rooms: ["!a"], stored: 2 });
  assert.deepEqual(await journalOf(store, "t1", events), { rooms: [], stored: 0 });
  assert.deepEqual(await journalOf(store, "t2", [message("!a", 1), message("!b", 0)]), {
    rooms: ["!b"],
    stored: 1,
  });
  // A homeserver that lost its count reuses an id for new events: they are journaled all the same.
  assert.deepEqual(await journalOf(store, "t1", [message("!a", 2)]), { rooms: ["!a"], stored: 1 });
  assert.equal(await store.matrixJournal.pendingCount(), 4);
});

test("handled entries drop their bodies and are forgotten after the memory period", async (t) => {
  let now = 1_000_000;
  const { store } = await openTempStore(t, () => now);
  await journalOf(store, "t1", [message("!a", 0)]);
  const entry = (await store.matrixJournal.nextPending("!a"))!;
  await store.matrixJournal.markHandled(entry.seq);
  now += 10_000;
  await store.matrixJournal.prune(60_000);
  assert.equal(
    (await journalOf(store, "t2", [message("!a", 0)])).stored,
    0,
    "still recognised within the period",
  );
  now += 120_000;
  await store.matrixJournal.prune(60_000);
  assert.equal((await journalOf(store, "t3", [message("!a", 0)])).stored, 1, "forgotten after it");
});
