import assert from "node:assert/strict";
import { test } from "node:test";
import { openDatabase } from "../../../src/store/index.js";
import { openTempStore } from "./temp-store.js";

const ROOM = "!dm:hs";
const OTHER_ROOM = "!other:hs";

test("a portal's timer is kept with its version, replaced by the next, and survives a reopen", (t) => {
  const { store, paths } = openTempStore(t);
  assert.equal(store.disappearing.timerOf(ROOM), undefined);
  store.disappearing.setTimer(ROOM, { seconds: 3600, version: 2 });
  store.disappearing.setTimer(OTHER_ROOM, { seconds: 60, version: undefined });
  store.disappearing.setTimer(ROOM, { seconds: 0, version: 3 });
  store.close();

  const reopened = openDatabase(paths);
  t.after(() => reopened.close());
  assert.deepEqual(reopened.disappearing.timerOf(ROOM), { seconds: 0, version: 3 });
  assert.deepEqual(reopened.disappearing.timerOf(OTHER_ROOM), { seconds: 60, version: undefined });
});

test("a read starts the countdown of the message read and the earlier unread ones in that room only", (t) => {
  const { disappearing } = openTempStore(t).store;
  const unread = (eventId: string, roomId: string, sentAt: number, timerMs = 10_000) =>
    disappearing.schedule({ eventId, roomId, sentAt, timerMs, expiresAt: undefined });
  unread("$old", ROOM, 100, 5_000);
  unread("$read", ROOM, 200);
  unread("$later", ROOM, 300);
  unread("$elsewhere", OTHER_ROOM, 150);
  disappearing.schedule({ eventId: "$own", roomId: ROOM, sentAt: 50, timerMs: 10_000, expiresAt: 7_000 });

  assert.equal(disappearing.startReadUpTo(ROOM, 200, 1_000), 2);
  assert.equal(disappearing.scheduled("$old")?.expiresAt, 6_000);
  assert.equal(disappearing.scheduled("$read")?.expiresAt, 11_000);
  assert.equal(disappearing.scheduled("$later")?.expiresAt, undefined, "sent after the message read");
  assert.equal(disappearing.scheduled("$elsewhere")?.expiresAt, undefined, "in another room");
  assert.equal(disappearing.scheduled("$own")?.expiresAt, 7_000, "a running countdown is not restarted");

  assert.equal(disappearing.startReadUpTo(ROOM, 200, 2_000), 0, "reading again changes nothing");
  assert.equal(disappearing.scheduled("$read")?.expiresAt, 11_000);
});

test("scheduling an event again keeps its first schedule", (t) => {
  const { disappearing } = openTempStore(t).store;
  disappearing.schedule({ eventId: "$e", roomId: ROOM, sentAt: 100, timerMs: 1_000, expiresAt: 1_100 });
  disappearing.schedule({ eventId: "$e", roomId: ROOM, sentAt: 100, timerMs: 1_000, expiresAt: undefined });
  assert.equal(disappearing.scheduled("$e")?.expiresAt, 1_100);
});

test("due events come earliest first; postponing counts the attempt; removing forgets the message", (t) => {
  const { store } = openTempStore(t);
  const { disappearing, bridge } = store;
  assert.equal(disappearing.nextDue(), undefined);
  disappearing.schedule({ eventId: "$b", roomId: ROOM, sentAt: 2, timerMs: 1, expiresAt: 2_000 });
  disappearing.schedule({ eventId: "$a", roomId: ROOM, sentAt: 1, timerMs: 1, expiresAt: 1_000 });
  disappearing.schedule({ eventId: "$c", roomId: ROOM, sentAt: 3, timerMs: 1, expiresAt: 9_000 });
  disappearing.schedule({ eventId: "$unread", roomId: ROOM, sentAt: 4, timerMs: 1, expiresAt: undefined });
  assert.equal(disappearing.nextDue(), 1_000);
  assert.deepEqual(
    disappearing.due(5_000, 10).map((e) => e.eventId),
    ["$a", "$b"],
  );
  assert.deepEqual(
    disappearing.due(5_000, 1).map((e) => e.eventId),
    ["$a"],
  );

  disappearing.postpone("$a", 6_000);
  assert.equal(disappearing.scheduled("$a")?.attempts, 1);
  assert.equal(disappearing.nextDue(), 2_000);

  bridge.recordMessage({ roomId: ROOM, authorAci: "aci-1", sentAt: 2, part: 0, eventId: "$b" });
  disappearing.remove("$b");
  assert.equal(disappearing.scheduled("$b"), undefined);
  assert.equal(bridge.messageOfEvent("$b"), undefined, "the expired message's mapping is gone too");
  assert.deepEqual(
    disappearing.due(10_000, 10).map((e) => e.eventId),
    ["$a", "$c"],
  );
});
