import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { ExpiryScheduler, retryDelayMs } from "../../../src/bridge/expiry-scheduler.js";
import { openDatabase, type DisappearingEvent, type Store } from "../../../src/store/index.js";
import { openTempStore } from "../store/temp-store.js";
import { FakeClock, recordingLogger } from "./fake-clock.js";

const ROOM = "!room:hs";

/** A scheduler over a real store, a fake clock and a redactor that records (or refuses). */
async function setUp(t: TestContext, store?: Store, clock = new FakeClock()) {
  const opened = store ? { store, paths: undefined } : await openTempStore(t);
  const redacted: string[] = [];
  const failing = new Set<string>();
  const logger = recordingLogger();
  const scheduler = new ExpiryScheduler({
    queue: opened.store.disappearing,
    clock,
    logger,
    redact: async (event: DisappearingEvent) => {
      if (failing.has(event.eventId)) throw new Error("M_UNKNOWN: homeserver unavailable");
      redacted.push(event.eventId);
    },
  });
  t.after(() => scheduler.stop());
  const countdown = (eventId: string, expiresAt: number) =>
    opened.store.disappearing.schedule({ eventId, roomId: ROOM, sentAt: 1, timerMs: 1, expiresAt });
  return { ...opened, clock, scheduler, redacted, failing, logger, countdown };
}

test("an event is redacted when its countdown ends, not before", async (t) => {
  const { clock, scheduler, redacted, countdown } = await setUp(t);
  await countdown("$e", clock.now() + 10_000);
  await scheduler.start();
  await clock.advance(9_999);
  assert.deepEqual(redacted, []);
  await clock.advance(1);
  assert.deepEqual(redacted, ["$e"]);
  assert.deepEqual(clock.pendingDelays(), [], "nothing left to wait for");
});

test("one timer waits for the earliest event and is re-armed when an earlier one is scheduled", async (t) => {
  const { store, clock, scheduler, redacted, countdown } = await setUp(t);
  await countdown("$late", clock.now() + 60_000);
  await scheduler.start();
  assert.deepEqual(clock.pendingDelays(), [60_000]);

  await countdown("$early", clock.now() + 5_000);
  await scheduler.wake();
  assert.deepEqual(clock.pendingDelays(), [5_000], "the later timer was replaced");
  await countdown("$middle", clock.now() + 30_000);
  await scheduler.wake();
  assert.deepEqual(clock.pendingDelays(), [5_000], "a later event does not move the timer");

  await clock.advance(5_000);
  assert.deepEqual(redacted, ["$early"]);
  assert.deepEqual(clock.pendingDelays(), [25_000], "re-armed for the next one");
  await clock.advance(55_000);
  assert.deepEqual(redacted, ["$early", "$middle", "$late"]);
  assert.equal(await store.disappearing.nextDue(), undefined);
});

test("events that expired while the bridge was down are redacted at start; a restart keeps the rest", async (t) => {
  const first = await setUp(t);
  await first.countdown("$overdue", first.clock.now() - 1_000);
  await first.countdown("$pending", first.clock.now() + 20_000);
  await first.store.close();

  const store = await openDatabase(first.paths!);
  t.after(() => store.close());
  const clock = new FakeClock(first.clock.now() + 5_000);
  const second = await setUp(t, store, clock);
  await second.scheduler.start();
  await clock.advance(0);
  assert.deepEqual(second.redacted, ["$overdue"]);
  await clock.advance(15_000);
  assert.deepEqual(second.redacted, ["$overdue", "$pending"]);
});

test("a failed redaction is logged and tried again later, backing off, without stopping the others", async (t) => {
  const { clock, scheduler, redacted, failing, logger, countdown, store } = await setUp(t);
  await countdown("$stuck", clock.now() + 1_000);
  await countdown("$fine", clock.now() + 1_000);
  failing.add("$stuck");
  await scheduler.start();
  await clock.advance(1_000);
  assert.deepEqual(redacted, ["$fine"]);
  assert.equal((await store.disappearing.scheduled("$stuck"))?.expiresAt, clock.now() + retryDelayMs(0));
  assert.match(logger.lines.join("\n"), /warn could not redact disappeared message \$stuck .*attempt 1/);

  await clock.advance(retryDelayMs(0));
  assert.equal((await store.disappearing.scheduled("$stuck"))?.attempts, 2, "failed again");
  failing.delete("$stuck");
  await clock.advance(retryDelayMs(1) - 1);
  assert.deepEqual(redacted, ["$fine"], "waits longer after the second failure");
  await clock.advance(1);
  assert.deepEqual(redacted, ["$fine", "$stuck"]);
  assert.equal(await store.disappearing.scheduled("$stuck"), undefined);
});

test("retry delays double from 30 seconds up to an hour", () => {
  assert.deepEqual(
    [0, 1, 2, 6, 7, 50].map(retryDelayMs),
    [30_000, 60_000, 120_000, 1_920_000, 3_600_000, 3_600_000],
  );
});

test("a four-week timer does not overflow Node's timer: it waits in steps and fires on the day", async (t) => {
  const { clock, scheduler, redacted, countdown } = await setUp(t);
  const fourWeeks = 28 * 24 * 3600 * 1000;
  await countdown("$e", clock.now() + fourWeeks);
  await scheduler.start();
  assert.ok(clock.pendingDelays().every((delay) => delay < 2 ** 31));
  await clock.advance(fourWeeks - 1);
  assert.deepEqual(redacted, []);
  await clock.advance(1);
  assert.deepEqual(redacted, ["$e"]);
});

test("a stopped scheduler redacts nothing more", async (t) => {
  const { clock, scheduler, redacted, countdown } = await setUp(t);
  await countdown("$e", clock.now() + 1_000);
  await scheduler.start();
  scheduler.stop();
  assert.deepEqual(clock.pendingDelays(), []);
  await scheduler.wake();
  await clock.advance(5_000);
  assert.deepEqual(redacted, []);
});
