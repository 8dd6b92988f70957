import assert from "node:assert/strict";
import { openTempStore, storeTest } from "./temp-store.js";

const ROOM = "!dm:hs";
const OTHER_ROOM = "!other:hs";

storeTest(
  "a portal's timer is kept with its version, replaced by the next, and survives a reopen",
  async (t, backend) => {
    const { store, reopen } = await openTempStore(t, undefined, backend);
    assert.equal(await store.disappearing.timerOf(ROOM), undefined);
    await store.disappearing.setTimer(ROOM, { seconds: 3600, version: 2 });
    await store.disappearing.setTimer(OTHER_ROOM, { seconds: 60, version: undefined });
    await store.disappearing.setTimer(ROOM, { seconds: 0, version: 3 });
    await store.close();

    const reopened = await reopen();
    assert.deepEqual(await reopened.disappearing.timerOf(ROOM), { seconds: 0, version: 3 });
    assert.deepEqual(await reopened.disappearing.timerOf(OTHER_ROOM), { seconds: 60, version: undefined });
  },
);

storeTest(
  "a read starts the countdown of the message read and the earlier unread ones in that room only",
  async (t, backend) => {
    const { disappearing } = (await openTempStore(t, undefined, backend)).store;
    const unread = (eventId: string, roomId: string, sentAt: number, timerMs = 10_000) =>
      disappearing.schedule({ eventId, roomId, sentAt, timerMs, expiresAt: undefined });
    await unread("$old", ROOM, 100, 5_000);
    await unread("$read", ROOM, 200);
    await unread("$later", ROOM, 300);
    await unread("$elsewhere", OTHER_ROOM, 150);
    await disappearing.schedule({
      eventId: "$own",
      roomId: ROOM,
      sentAt: 50,
      timerMs: 10_000,
      expiresAt: 7_000,
    });

    assert.equal(await disappearing.startReadUpTo(ROOM, 200, 1_000), 2);
    assert.equal((await disappearing.scheduled("$old"))?.expiresAt, 6_000);
    assert.equal((await disappearing.scheduled("$read"))?.expiresAt, 11_000);
    assert.equal(
      (await disappearing.scheduled("$later"))?.expiresAt,
      undefined,
      "sent after the message read",
    );
    assert.equal((await disappearing.scheduled("$elsewhere"))?.expiresAt, undefined, "in another room");
    assert.equal(
      (await disappearing.scheduled("$own"))?.expiresAt,
      7_000,
      "a running countdown is not restarted",
    );

    assert.equal(await disappearing.startReadUpTo(ROOM, 200, 2_000), 0, "reading again changes nothing");
    assert.equal((await disappearing.scheduled("$read"))?.expiresAt, 11_000);
  },
);

storeTest("scheduling an event again keeps its first schedule", async (t, backend) => {
  const { disappearing } = (await openTempStore(t, undefined, backend)).store;
  await disappearing.schedule({ eventId: "$e", roomId: ROOM, sentAt: 100, timerMs: 1_000, expiresAt: 1_100 });
  await disappearing.schedule({
    eventId: "$e",
    roomId: ROOM,
    sentAt: 100,
    timerMs: 1_000,
    expiresAt: undefined,
  });
  assert.equal((await disappearing.scheduled("$e"))?.expiresAt, 1_100);
});

storeTest(
  "due events come earliest first; postponing counts the attempt; removing forgets the message",
  async (t, backend) => {
    const { store } = await openTempStore(t, undefined, backend);
    const { disappearing, bridge } = store;
    assert.equal(await disappearing.nextDue(), undefined);
    await disappearing.schedule({ eventId: "$b", roomId: ROOM, sentAt: 2, timerMs: 1, expiresAt: 2_000 });
    await disappearing.schedule({ eventId: "$a", roomId: ROOM, sentAt: 1, timerMs: 1, expiresAt: 1_000 });
    await disappearing.schedule({ eventId: "$c", roomId: ROOM, sentAt: 3, timerMs: 1, expiresAt: 9_000 });
    await disappearing.schedule({
      eventId: "$unread",
      roomId: ROOM,
      sentAt: 4,
      timerMs: 1,
      expiresAt: undefined,
    });
    assert.equal(await disappearing.nextDue(), 1_000);
    assert.deepEqual(
      (await disappearing.due(5_000, 10)).map((e) => e.eventId),
      ["$a", "$b"],
    );
    assert.deepEqual(
      (await disappearing.due(5_000, 1)).map((e) => e.eventId),
      ["$a"],
    );

    await disappearing.postpone("$a", 6_000);
    assert.equal((await disappearing.scheduled("$a"))?.attempts, 1);
    assert.equal(await disappearing.nextDue(), 2_000);

    await bridge.recordMessage({ roomId: ROOM, authorAci: "aci-1", sentAt: 2, part: 0, eventId: "$b" });
    await disappearing.remove("$b");
    assert.equal(await disappearing.scheduled("$b"), undefined);
    assert.equal(await bridge.messageOfEvent("$b"), undefined, "the expired message's mapping is gone too");
    assert.deepEqual(
      (await disappearing.due(10_000, 10)).map((e) => e.eventId),
      ["$a", "$c"],
    );
  },
);
