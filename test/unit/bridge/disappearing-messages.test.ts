import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { DisappearingMessages } from "../../../src/bridge/disappearing-messages.js";
import type { Portals } from "../../../src/bridge/portals.js";
import type { signalservice } from "../../../src/signal/index.js";
import type { PortalRow } from "../../../src/store/index.js";
import { openTempStore } from "../store/temp-store.js";
import { FakeClock, recordingLogger } from "./fake-clock.js";

const CONTACT = "11111111-1111-4111-8111-111111111111";
const dm: PortalRow = {
  portalKey: `direct:@alice:hs:${CONTACT}`,
  roomId: "!dm:hs",
  kind: "direct",
  chatId: CONTACT,
  receiver: "@alice:hs",
  name: "Contact",
  topic: undefined,
  avatarUrl: undefined,
};
const othersDm: PortalRow = { ...dm, portalKey: "direct:@bob:hs:x", roomId: "!bob:hs", receiver: "@bob:hs" };

const TIMER_UPDATE = 2;
const message = (fields: signalservice.IDataMessage) => fields;

/** The coordinator over a real store, with the portals' admin intent recording what it does. */
async function setUp(t: TestContext) {
  const { store } = await openTempStore(t);
  await store.bridge.savePortal(dm);
  await store.bridge.savePortal(othersDm);
  const clock = new FakeClock();
  const states: Array<{ roomId: string; type: string; content: Record<string, unknown> }> = [];
  const redactions: Array<{ roomId: string; eventId: string }> = [];
  const homeserver = { refusesState: false, shownByUsers: new Map<string, Record<string, unknown>>() };
  const intent = {
    sendStateEvent: async (roomId: string, type: string, _key: string, content: Record<string, unknown>) => {
      if (homeserver.refusesState) throw new Error("M_FORBIDDEN: not allowed to send state");
      states.push({ roomId, type, content });
      return { event_id: "$state" };
    },
    matrixClient: {
      redactEvent: async (roomId: string, eventId: string) => void redactions.push({ roomId, eventId }),
      getRoomStateEvent: async (roomId: string, type: string) => {
        const shown =
          homeserver.shownByUsers.get(roomId) ??
          states.filter((s) => s.roomId === roomId && s.type === type).at(-1)?.content;
        if (!shown) throw new Error("M_NOT_FOUND: no such state");
        return shown;
      },
    },
  };
  const portals = { adminIntent: () => intent } as unknown as Portals;
  const disappearing = new DisappearingMessages({ store, portals, clock, logger: recordingLogger() });
  t.after(() => disappearing.stop());
  return { store, clock, states, redactions, disappearing, homeserver };
}

test("a timer update sets the portal's timer and its room state; turning it off empties the state", async (t) => {
  const { store, states, disappearing } = await setUp(t);
  await disappearing.followTimer(
    dm,
    message({ flags: TIMER_UPDATE, expireTimer: 30, expireTimerVersion: 2 }),
  );
  assert.deepEqual(await store.disappearing.timerOf(dm.roomId), { seconds: 30, version: 2 });
  assert.deepEqual(await disappearing.timerOf(dm), { seconds: 30, version: 2 });
  assert.deepEqual(states, [
    {
      roomId: dm.roomId,
      type: "com.beeper.disappearing_timer",
      content: { type: "after_read", timer: 30_000 },
    },
  ]);

  await disappearing.followTimer(dm, message({ flags: TIMER_UPDATE, expireTimer: 0, expireTimerVersion: 3 }));
  assert.deepEqual(states.at(-1)?.content, {});
  assert.equal(await disappearing.timerOf(dm), undefined, "messages to Signal carry no timer");
});

test("a refused room state does not hold back the timer the portal follows", async (t) => {
  const { homeserver, disappearing } = await setUp(t);
  homeserver.refusesState = true;
  await disappearing.followTimer(
    dm,
    message({ flags: TIMER_UPDATE, expireTimer: 30, expireTimerVersion: 2 }),
  );
  assert.deepEqual(await disappearing.timerOf(dm), { seconds: 30, version: 2 });
});

test("a timer change older than the portal's version is ignored", async (t) => {
  const { states, disappearing } = await setUp(t);
  await disappearing.followTimer(
    dm,
    message({ flags: TIMER_UPDATE, expireTimer: 60, expireTimerVersion: 5 }),
  );
  await disappearing.followTimer(dm, message({ flags: TIMER_UPDATE, expireTimer: 0, expireTimerVersion: 4 }));
  await disappearing.followTimer(dm, message({ body: "hi", expireTimer: 10, expireTimerVersion: 4 }));
  assert.deepEqual(await disappearing.timerOf(dm), { seconds: 60, version: 5 });
  assert.equal(states.length, 1);
});

test("an ordinary message with a timer turns it on; one without does not turn it off", async (t) => {
  const { states, disappearing } = await setUp(t);
  await disappearing.followTimer(dm, message({ body: "hi", expireTimer: 3600 }));
  assert.deepEqual(await disappearing.timerOf(dm), { seconds: 3600, version: undefined });
  await disappearing.followTimer(dm, message({ body: "from an old client" }));
  await disappearing.followTimer(dm, message({ body: "same timer", expireTimer: 3600 }));
  assert.deepEqual(await disappearing.timerOf(dm), { seconds: 3600, version: undefined });
  assert.equal(states.length, 1, "the state changes once");
});

test("received messages wait to be read; a Matrix read receipt starts them and they are redacted", async (t) => {
  const { store, clock, redactions, disappearing } = await setUp(t);
  const sentAt = clock.now() - 60_000;
  await store.bridge.recordMessage({
    roomId: dm.roomId,
    authorAci: CONTACT,
    sentAt,
    part: 0,
    eventId: "$photo",
  });
  await store.bridge.recordMessage({
    roomId: dm.roomId,
    authorAci: CONTACT,
    sentAt,
    part: 1,
    eventId: "$caption",
  });
  const timed = message({ body: "secret", expireTimer: 10 });
  await disappearing.start();
  await disappearing.bridged({
    portal: dm,
    message: timed,
    sentAt,
    startedAt: undefined,
    eventIds: ["$photo", "$caption"],
  });
  assert.deepEqual(disappearing.contentMarker(timed), {
    "com.beeper.disappearing_timer": { type: "after_read", timer: 10_000 },
  });
  await clock.advance(60_000);
  assert.equal(redactions.length, 0, "unread messages stay");

  await disappearing.readUpTo(dm.roomId, "$caption", clock.now());
  await clock.advance(9_999);
  assert.equal(redactions.length, 0);
  await clock.advance(1);
  assert.deepEqual(redactions.map((r) => r.eventId).sort(), ["$caption", "$photo"]);
  assert.equal(await store.bridge.messageOfEvent("$photo"), undefined);
});

test("our own messages count down from their sending; timer updates and untimed messages never expire", async (t) => {
  const { store, clock, redactions, disappearing } = await setUp(t);
  await disappearing.start();
  const sentAt = clock.now() - 4_000;
  await disappearing.bridged({
    portal: dm,
    message: message({ expireTimer: 5 }),
    sentAt,
    startedAt: sentAt,
    eventIds: ["$own"],
  });
  await disappearing.bridged({
    portal: dm,
    message: message({ flags: TIMER_UPDATE, expireTimer: 5 }),
    sentAt,
    startedAt: sentAt,
    eventIds: ["$notice"],
  });
  await disappearing.bridged({
    portal: dm,
    message: message({ body: "x" }),
    sentAt,
    startedAt: sentAt,
    eventIds: ["$plain"],
  });
  assert.equal(await store.disappearing.scheduled("$notice"), undefined);
  assert.equal(await store.disappearing.scheduled("$plain"), undefined);
  await clock.advance(1_000);
  assert.deepEqual(redactions, [{ roomId: dm.roomId, eventId: "$own" }]);
});

test("the phone's read sync starts the messages it names in the user's own portals only", async (t) => {
  const { store, clock, disappearing } = await setUp(t);
  const sentAt = clock.now() - 1_000;
  for (const portal of [dm, othersDm]) {
    const eventId = `$in-${portal.receiver}`;
    await store.bridge.recordMessage({ roomId: portal.roomId, authorAci: CONTACT, sentAt, part: 0, eventId });
    await disappearing.bridged({
      portal,
      message: message({ expireTimer: 60 }),
      sentAt,
      startedAt: undefined,
      eventIds: [eventId],
    });
  }
  await disappearing.phoneRead(
    "@alice:hs",
    [{ senderAci: CONTACT, timestamp: sentAt }],
    clock.now() + 999_999,
  );
  assert.equal(
    (await store.disappearing.scheduled("$in-@alice:hs"))?.expiresAt,
    clock.now() + 60_000,
    "read now, not later",
  );
  assert.equal((await store.disappearing.scheduled("$in-@bob:hs"))?.expiresAt, undefined);
});

test("an event of a room that is no longer a portal is dropped instead of retried forever", async (t) => {
  const { store, clock, redactions, disappearing } = await setUp(t);
  await store.disappearing.schedule({
    eventId: "$gone",
    roomId: "!gone:hs",
    sentAt: 1,
    timerMs: 1,
    expiresAt: clock.now(),
  });
  await disappearing.start();
  await clock.advance(0);
  assert.deepEqual(redactions, []);
  assert.equal(await store.disappearing.scheduled("$gone"), undefined);
});

test("a timer the room already shows (a user set it from Matrix) is not set again", async (t) => {
  const { store, states, disappearing, homeserver } = await setUp(t);
  homeserver.shownByUsers.set(dm.roomId, { type: "after_read", timer: 60_000 });
  await disappearing.followTimer(
    dm,
    message({ flags: TIMER_UPDATE, expireTimer: 60, expireTimerVersion: 4 }),
  );
  assert.deepEqual(await store.disappearing.timerOf(dm.roomId), { seconds: 60, version: 4 });
  assert.deepEqual(states, [], "no second state event");
});
