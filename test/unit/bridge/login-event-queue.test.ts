import assert from "node:assert/strict";
import { test } from "node:test";
import { ChatLanes } from "../../../src/bridge/chat-lanes.js";
import { LoginEventQueue, type LoginEventQueueOptions } from "../../../src/bridge/login-event-queue.js";
import { RetryStoppedError } from "../../../src/bridge/retry-policy.js";
import { Semaphore } from "../../../src/bridge/semaphore.js";
import { createLogger } from "../../../src/logger.js";
import { signalservice } from "../../../src/proto/generated/signal.js";
import type { BufferedSignalEvent } from "../../../src/signal/index.js";

const quiet = createLogger("error", "test", () => true);
const USER = "@alice:hs";
const OWN = "00000000-0000-4000-8000-000000000000";
const BOB = "11111111-1111-4111-8111-111111111111";
const CAROL = "22222222-2222-4222-8222-222222222222";
const DAVE = "33333333-3333-4333-8333-333333333333";

let nextTimestamp = 1000;

/** A message from `aci` whose body is `body` (its id too, so tests can follow it). */
function message(aci: string, body: string): BufferedSignalEvent {
  const timestamp = nextTimestamp++;
  return {
    type: "message",
    id: body,
    sender: { aci, deviceId: 1 },
    timestamp,
    serverTimestamp: timestamp,
    sealed: true,
    message: signalservice.DataMessage.create({ body, timestamp }),
    groupMasterKey: null,
  };
}

/** An event of no single chat: the phone's contact list. */
function contactsSync(id: string): BufferedSignalEvent {
  return {
    type: "contacts-sync",
    id,
    sender: { aci: OWN, deviceId: 1 },
    timestamp: nextTimestamp++,
    serverTimestamp: 0,
    sealed: false,
    blob: signalservice.AttachmentPointer.create({}),
    complete: true,
  };
}

/** A transient homeserver failure (what retry-policy waits out). */
function unavailable(): Error {
  return Object.assign(new Error("homeserver away"), { statusCode: 502 });
}

/** A promise to settle by hand. */
function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

interface Harness {
  queue: LoginEventQueue;
  /** Ids in the order their handling started / they were marked handled. */
  started: string[];
  handled: string[];
  settled: string[];
  stop: AbortController;
  running: () => number;
  maxRunning: () => number;
}

function harness(
  handle: (event: BufferedSignalEvent) => Promise<void>,
  overrides: Partial<LoginEventQueueOptions> = {},
): Harness {
  const started: string[] = [];
  const handled: string[] = [];
  const settled: string[] = [];
  const stop = new AbortController();
  let running = 0;
  let maxRunning = 0;
  const queue = new LoginEventQueue({
    userId: USER,
    ownAci: OWN,
    handle: async (event) => {
      started.push(event.id);
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        await handle(event);
      } finally {
        running--;
      }
    },
    markHandled: async (id) => {
      handled.push(id);
    },
    settled: (event) => settled.push(event.id),
    stop: stop.signal,
    concurrency: 8,
    totalSlots: new Semaphore(32),
    logger: quiet,
    // Retries come at once: the tests follow the order, not the time.
    sleep: async (_ms, signal) => {
      await tick();
      if (signal.aborted) throw new RetryStoppedError("stopped");
    },
    ...overrides,
  });
  return { queue, started, handled, settled, stop, running: () => running, maxRunning: () => maxRunning };
}

const only = (ids: string[], prefix: string) => ids.filter((id) => id.startsWith(prefix));

test("events of one chat are bridged in order, one at a time; other chats at the same time", async () => {
  const inChat = new Map<string, number>();
  let maxInOneChat = 0;
  const h = harness(async (event) => {
    const chat = event.sender!.aci;
    inChat.set(chat, (inChat.get(chat) ?? 0) + 1);
    maxInOneChat = Math.max(maxInOneChat, inChat.get(chat)!);
    await new Promise((resolve) => setTimeout(resolve, 1 + (Number(event.id.slice(2)) % 3)));
    inChat.set(chat, inChat.get(chat)! - 1);
  });
  const expected: Record<string, string[]> = { b: [], c: [], d: [] };
  for (let i = 0; i < 30; i++) {
    for (const [prefix, aci] of [
      ["b", BOB],
      ["c", CAROL],
      ["d", DAVE],
    ] as const) {
      const id = `${prefix}-${i}`;
      expected[prefix]!.push(id);
      h.queue.push(message(aci, id));
    }
  }
  await h.queue.idle();
  for (const prefix of ["b", "c", "d"]) {
    assert.deepEqual(only(h.handled, prefix), expected[prefix], `chat ${prefix} in the order it came`);
  }
  assert.equal(h.handled.length, 90, "every event marked handled");
  assert.deepEqual(h.settled, h.handled, "the observer hears of each event as it is marked handled");
  assert.equal(maxInOneChat, 1, "a chat's events never overlap");
  assert.equal(h.maxRunning(), 3, "the three chats were bridged at the same time");
});

test("a login bridges at most its concurrency of chats at once, and all logins at most the total", async () => {
  const total = new Semaphore(5);
  const release = gate();
  let running = 0;
  let max = 0;
  const handle = async () => {
    running++;
    max = Math.max(max, running);
    await release.promise;
    running--;
  };
  const first = harness(handle, { concurrency: 3, totalSlots: total });
  const second = harness(handle, { concurrency: 3, totalSlots: total, userId: "@bob:hs" });
  for (let i = 0; i < 10; i++) {
    first.queue.push(message(`aaaaaaaa-0000-4000-8000-00000000000${i}`, `x-${i}`));
    second.queue.push(message(`bbbbbbbb-0000-4000-8000-00000000000${i}`, `y-${i}`));
  }
  await until("five events run", () => running === 5);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(first.maxRunning(), 3, "one login: at most its concurrency");
  assert.equal(max, 5, "all logins: at most the total");
  release.open();
  await Promise.all([first.queue.idle(), second.queue.idle()]);
  assert.equal(first.handled.length + second.handled.length, 20);
});

test("an event of no single chat waits for all earlier events, and all later ones wait for it", async () => {
  const gates = new Map<string, ReturnType<typeof gate>>();
  for (const id of ["b-1", "c-1", "sync"]) gates.set(id, gate());
  const h = harness(async (event) => gates.get(event.id)?.promise);
  h.queue.push(message(BOB, "b-1"));
  h.queue.push(message(CAROL, "c-1"));
  h.queue.push(contactsSync("sync"));
  h.queue.push(message(DAVE, "d-1"));
  h.queue.push(message(BOB, "b-2"));
  await until("both chats started", () => h.started.length === 2);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(h.started, ["b-1", "c-1"], "the barrier and what follows it wait");
  gates.get("c-1")!.open();
  await until("c-1 handled", () => h.handled.includes("c-1"));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(h.started, ["b-1", "c-1"], "the barrier waits for every earlier chat");
  gates.get("b-1")!.open();
  await until("the barrier started", () => h.started.includes("sync"));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(h.started, ["b-1", "c-1", "sync"], "later events wait for the barrier");
  gates.get("sync")!.open();
  await h.queue.idle();
  assert.deepEqual(h.handled.slice(0, 3).sort(), ["b-1", "c-1", "sync"].sort());
  assert.equal(h.handled[2], "sync");
  assert.deepEqual(h.handled.slice(3).sort(), ["b-2", "d-1"]);
});

test("a chat whose event fails transiently holds only its own later events", async () => {
  let failing = true;
  const h = harness(async (event) => {
    if (event.sender!.aci === BOB && failing) throw unavailable();
  });
  h.queue.push(message(BOB, "b-1"));
  h.queue.push(message(CAROL, "c-1"));
  h.queue.push(message(BOB, "b-2"));
  h.queue.push(message(CAROL, "c-2"));
  h.queue.push(message(CAROL, "c-3"));
  await until("the other chat is through", () => h.handled.length === 3);
  assert.deepEqual(h.handled, ["c-1", "c-2", "c-3"]);
  assert.ok(
    only(h.started, "b").every((id) => id === "b-1"),
    "b-2 waits behind b-1 while it is retried",
  );
  assert.ok(only(h.started, "b").length >= 2, "b-1 was tried again");
  failing = false;
  await h.queue.idle();
  assert.deepEqual(only(h.handled, "b"), ["b-1", "b-2"], "once through, in order");
});

test("a permanent failure is skipped and marked handled; the chat goes on", async () => {
  const h = harness(async (event) => {
    if (event.id === "b-1") throw Object.assign(new Error("forbidden"), { statusCode: 403 });
  });
  h.queue.push(message(BOB, "b-1"));
  h.queue.push(message(BOB, "b-2"));
  await h.queue.idle();
  assert.deepEqual(h.handled, ["b-1", "b-2"]);
  assert.equal(h.started.filter((id) => id === "b-1").length, 1, "tried once");
});

test("a stop leaves the waiting event and everything not started buffered", async () => {
  const h = harness(async (event) => {
    if (event.sender!.aci === BOB) throw unavailable();
    if (event.id === "c-2") await new Promise((resolve) => setTimeout(resolve, 30));
  });
  h.queue.push(message(BOB, "b-1"));
  h.queue.push(message(BOB, "b-2"));
  h.queue.push(message(CAROL, "c-1"));
  h.queue.push(message(CAROL, "c-2"));
  h.queue.push(contactsSync("sync"));
  h.queue.push(message(CAROL, "c-3"));
  await until("c-1 handled and b-1 retried", () => h.handled.includes("c-1") && h.started.length >= 4);
  h.stop.abort();
  await h.queue.idle();
  assert.ok(!h.handled.includes("b-1") && !h.handled.includes("b-2"), "the waiting chat stays buffered");
  assert.ok(h.handled.includes("c-2"), "an event in hand is finished");
  assert.ok(!h.started.includes("sync") && !h.started.includes("c-3"), "nothing after is started");
  assert.deepEqual(h.handled, ["c-1", "c-2"]);
});

test("events of a group, its typing and a sync transcript to it share the group's lane", async () => {
  const masterKey = new Uint8Array(32).fill(7);
  const started: string[] = [];
  const release = gate();
  const h = harness(async (event) => {
    started.push(event.id);
    if (event.id === "g-1") await release.promise;
  });
  h.queue.push({ ...message(BOB, "g-1"), groupMasterKey: masterKey } as BufferedSignalEvent);
  h.queue.push({
    type: "sync-sent",
    id: "g-2",
    sender: { aci: OWN, deviceId: 2 },
    timestamp: nextTimestamp++,
    serverTimestamp: 0,
    sealed: false,
    destinationServiceId: null,
    sent: signalservice.SyncMessage.Sent.create({}),
    groupMasterKey: masterKey,
  });
  h.queue.push({
    type: "sync-sent",
    id: "b-1",
    sender: { aci: OWN, deviceId: 2 },
    timestamp: nextTimestamp++,
    serverTimestamp: 0,
    sealed: false,
    destinationServiceId: BOB,
    sent: signalservice.SyncMessage.Sent.create({}),
    groupMasterKey: null,
  });
  await until("the direct chat's transcript is through", () => h.handled.includes("b-1"));
  assert.deepEqual(started, ["g-1", "b-1"], "the group's second event waits for its first");
  release.open();
  await h.queue.idle();
  assert.deepEqual(h.handled, ["b-1", "g-1", "g-2"]);
});

test("a chat's next event starts before the last one's mark is committed; idle() and the observer wait for the mark", async () => {
  const commit = gate();
  const committed: string[] = [];
  const h = harness(async () => undefined, {
    markHandled: async (id) => {
      await commit.promise;
      committed.push(id);
    },
  });
  h.queue.push(message(BOB, "b-1"));
  h.queue.push(message(BOB, "b-2"));
  await until("the chat's second event started", () => h.started.length === 2);
  let idle = false;
  const waiting = h.queue.idle().then(() => (idle = true));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(committed, [], "no mark committed yet");
  assert.deepEqual(h.settled, [], "the observer hears of an event once its mark is committed");
  assert.equal(idle, false, "idle() waits for the marks");
  commit.open();
  await waiting;
  assert.deepEqual(committed, ["b-1", "b-2"]);
  assert.deepEqual(h.settled, ["b-1", "b-2"]);
});

test("a mark that fails to commit is logged; the chat goes on", async () => {
  const lines: string[] = [];
  const logger = createLogger("error", "test", (line) => lines.push(line));
  const h = harness(async () => undefined, {
    logger,
    markHandled: async (id) => {
      if (id === "b-1") throw new Error("disk full");
    },
  });
  h.queue.push(message(BOB, "b-1"));
  h.queue.push(message(BOB, "b-2"));
  await h.queue.idle();
  assert.deepEqual(h.started, ["b-1", "b-2"]);
  assert.deepEqual(h.settled, ["b-2"], "only the committed mark is reported settled");
  assert.ok(
    lines.some((line) => line.includes("marking b-1 handled failed") && line.includes("disk full")),
    `the failure is logged: ${lines.join("\n")}`,
  );
});

test("ChatLanes: work that throws is reported and its lane goes on", async () => {
  const errors: unknown[] = [];
  const done: string[] = [];
  const lanes = new ChatLanes({ onError: (error) => errors.push(error) });
  lanes.push("a", async () => {
    throw new Error("bug");
  });
  lanes.push("a", async () => {
    done.push("a-2");
    return true;
  });
  lanes.push(null, async () => {
    done.push("barrier");
    return true;
  });
  await lanes.idle();
  assert.deepEqual(done, ["a-2", "barrier"]);
  assert.equal(errors.length, 1);
  assert.equal(lanes.laneCount, 0, "finished lanes are forgotten");
});
