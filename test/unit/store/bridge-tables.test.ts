import assert from "node:assert/strict";
import { openTempStore, storeTest } from "./temp-store.js";

storeTest("portals are found by key and by room, and direct ones by their user", async (t, backend) => {
  const { bridge } = (await openTempStore(t, undefined, backend)).store;
  await bridge.savePortal({
    portalKey: "direct:@alice:hs:aci-1",
    roomId: "!dm:hs",
    kind: "direct",
    chatId: "aci-1",
    receiver: "@alice:hs",
    name: "Bob",
    topic: undefined,
    avatarUrl: undefined,
  });
  await bridge.savePortal({
    portalKey: "group:Z3JvdXA=",
    roomId: "!group:hs",
    kind: "group",
    chatId: "Z3JvdXA=",
    receiver: undefined,
    name: "Friends",
    topic: "weekend plans",
    avatarUrl: "mxc://hs/a",
  });
  assert.equal((await bridge.portalByKey("direct:@alice:hs:aci-1"))?.roomId, "!dm:hs");
  assert.equal((await bridge.portalByRoom("!group:hs"))?.topic, "weekend plans");
  assert.equal((await bridge.portalByRoom("!group:hs"))?.receiver, undefined);
  assert.deepEqual(
    (await bridge.portalsOf("@alice:hs")).map((p) => p.roomId),
    ["!dm:hs"],
  );
  assert.equal(await bridge.portalByRoom("!nope:hs"), undefined);
});

storeTest(
  "a group portal remembers the group revision and avatar it shows, also across a portal update",
  async (t, backend) => {
    const { bridge } = (await openTempStore(t, undefined, backend)).store;
    const portal = {
      portalKey: "group:Z3JvdXA=",
      roomId: "!group:hs",
      kind: "group" as const,
      chatId: "Z3JvdXA=",
      receiver: undefined,
      name: "Friends",
      topic: undefined,
      avatarUrl: undefined,
    };
    await bridge.savePortal(portal);
    assert.equal(await bridge.groupPortalState(portal.portalKey), undefined, "nothing applied yet");
    const shown = { revision: 3, noticeRevision: 2, avatarKey: "groups/abc" };
    await bridge.setGroupPortalState(portal.portalKey, shown);
    await bridge.savePortal({ ...portal, name: "Best friends" });
    assert.deepEqual(await bridge.groupPortalState(portal.portalKey), shown);
    const next = { revision: 4, noticeRevision: 4, avatarKey: undefined };
    await bridge.setGroupPortalState(portal.portalKey, next);
    assert.deepEqual(await bridge.groupPortalState(portal.portalKey), next);
  },
);

storeTest("a message part is recorded once; redelivery is recognised", async (t, backend) => {
  const { bridge } = (await openTempStore(t, undefined, backend)).store;
  const ref = { roomId: "!r:hs", authorAci: "aci-1", sentAt: 1000, part: 0, eventId: "$a" };
  assert.equal(await bridge.recordMessage(ref), true);
  assert.equal(await bridge.recordMessage({ ...ref }), false);
  assert.equal(await bridge.recordMessage({ ...ref, part: 1, eventId: "$b" }), true);
  assert.deepEqual(
    (await bridge.eventsOfMessage("!r:hs", "aci-1", 1000)).map((r) => r.eventId),
    ["$a", "$b"],
  );
  assert.deepEqual(await bridge.messageOfEvent("$b"), { ...ref, part: 1, eventId: "$b" });
});

storeTest(
  "an outgoing Matrix event keeps its first Signal timestamp when delivered again",
  async (t, backend) => {
    const { bridge } = (await openTempStore(t, undefined, backend)).store;
    const first = await bridge.claimOutgoing("$e", "!r:hs", "@alice:hs");
    assert.equal(first.isNew, true);
    const again = await bridge.claimOutgoing("$e", "!r:hs", "@alice:hs");
    assert.equal(again.isNew, false);
    assert.equal(again.claim.sentAt, first.claim.sentAt);
    await bridge.setOutgoingState("$e", "sent");
    assert.equal((await bridge.claimOutgoing("$e", "!r:hs", "@alice:hs")).claim.state, "sent");
  },
);

storeTest(
  "events claimed in the same millisecond get distinct, increasing timestamps per account",
  async (t, backend) => {
    const frozen = () => 1_700_000_000_000;
    const { store } = await openTempStore(t, frozen, backend);
    const alice: number[] = [];
    for (let i = 0; i < 300; i++)
      alice.push((await store.bridge.claimOutgoing(`$a${i}`, "!r:hs", "@alice:hs")).claim.sentAt);
    assert.equal(new Set(alice).size, 300, "no two of Alice's messages share a timestamp");
    assert.deepEqual(
      alice,
      [...alice].sort((a, b) => a - b),
      "timestamps follow the claim order",
    );
    assert.equal(alice[0], frozen(), "the first one is the current time");
    const bob = (await store.bridge.claimOutgoing("$b0", "!r2:hs", "@bob:hs")).claim.sentAt;
    assert.equal(bob, frozen(), "another account has a clock of its own");
  },
);

storeTest(
  "the Signal clock never goes back, across a reopen, even when the system clock does",
  async (t, backend) => {
    const { store: first, reopen } = await openTempStore(t, () => 5000, backend);
    const before = (await first.bridge.claimOutgoing("$1", "!r:hs", "@alice:hs")).claim.sentAt;
    await first.close();
    const second = await reopen(() => 4000);
    const after = (await second.bridge.claimOutgoing("$2", "!r:hs", "@alice:hs")).claim.sentAt;
    await second.close();
    assert.ok(after > before, `${after} follows ${before}`);
  },
);

storeTest("management rooms and ghosts survive a reopen", async (t, backend) => {
  const { store: first, reopen } = await openTempStore(t, undefined, backend);
  await first.bridge.setManagementRoom("@alice:hs", "!mgmt:hs");
  await first.bridge.saveGhost({
    aci: "aci-1",
    displayName: "Bob (Signal)",
    avatarUrl: undefined,
    avatarHash: undefined,
  });
  await first.close();
  const { bridge } = await reopen();
  assert.equal(await bridge.managementRoomOf("@alice:hs"), "!mgmt:hs");
  assert.equal((await bridge.ghost("aci-1"))?.displayName, "Bob (Signal)");
  assert.equal(await bridge.managementRoomOf("@bob:hs"), undefined);
});

storeTest("a Signal user's reaction on a message is replaced, found and removed", async (t, backend) => {
  const { bridge } = (await openTempStore(t, undefined, backend)).store;
  const base = { roomId: "!r:hs", reactorAci: "aci-2", targetAuthorAci: "aci-1", targetSentAt: 1000 };
  await bridge.saveReaction({ ...base, emoji: "👍", eventId: "$r1" });
  await bridge.saveReaction({ ...base, emoji: "❤️", eventId: "$r2" });
  assert.deepEqual(await bridge.reaction("!r:hs", "aci-2", "aci-1", 1000), {
    ...base,
    emoji: "❤️",
    eventId: "$r2",
  });
  await bridge.deleteReaction("$r2");
  assert.equal(await bridge.reaction("!r:hs", "aci-2", "aci-1", 1000), undefined);
});

storeTest(
  "a portal's relay is set and cleared, and a relayed send remembers whom it was for",
  async (t, backend) => {
    const { bridge } = (await openTempStore(t, undefined, backend)).store;
    await bridge.savePortal({
      portalKey: "direct:@alice:hs:aci-1",
      roomId: "!dm:hs",
      kind: "direct",
      chatId: "aci-1",
      receiver: "@alice:hs",
      name: "Bob",
      topic: undefined,
      avatarUrl: undefined,
    });
    assert.equal(await bridge.relayOf("direct:@alice:hs:aci-1"), undefined);
    await bridge.setRelay("direct:@alice:hs:aci-1", "@alice:hs");
    assert.equal(await bridge.relayOf("direct:@alice:hs:aci-1"), "@alice:hs");
    await bridge.setRelay("direct:@alice:hs:aci-1", undefined);
    assert.equal(await bridge.relayOf("direct:@alice:hs:aci-1"), undefined);

    await bridge.claimOutgoing("$relayed", "!dm:hs", "@alice:hs", "@carol:hs");
    await bridge.claimOutgoing("$own", "!dm:hs", "@alice:hs");
    assert.equal((await bridge.outgoing("$relayed"))?.relayedFor, "@carol:hs");
    assert.equal((await bridge.outgoing("$own"))?.relayedFor, undefined);
  },
);

storeTest(
  "deleting a portal forgets its room's messages, reactions, sends and timer, and no other room's",
  async (t, backend) => {
    const store = (await openTempStore(t, undefined, backend)).store;
    const { bridge, disappearing } = store;
    for (const [key, roomId] of [
      ["group:Z3JvdXA=", "!gone:hs"],
      ["group:b3RoZXI=", "!kept:hs"],
    ] as const) {
      await bridge.savePortal({
        portalKey: key,
        roomId,
        kind: "group",
        chatId: key.slice("group:".length),
        receiver: undefined,
        name: undefined,
        topic: undefined,
        avatarUrl: undefined,
      });
      await bridge.recordMessage({ roomId, authorAci: "aci-1", sentAt: 1, part: 0, eventId: `$m${roomId}` });
      await bridge.saveReaction({
        roomId,
        reactorAci: "aci-2",
        targetAuthorAci: "aci-1",
        targetSentAt: 1,
        emoji: "👍",
        eventId: `$r${roomId}`,
      });
      await bridge.claimOutgoing(`$o${roomId}`, roomId, "@alice:hs");
      await disappearing.setTimer(roomId, { seconds: 60, version: 1 });
    }
    await bridge.deletePortal("group:Z3JvdXA=");
    assert.equal(await bridge.portalByRoom("!gone:hs"), undefined);
    assert.equal(await bridge.messageOfEvent("$m!gone:hs"), undefined);
    assert.equal(await bridge.reactionByEvent("$r!gone:hs"), undefined);
    assert.equal(await bridge.outgoing("$o!gone:hs"), undefined);
    assert.equal(await disappearing.timerOf("!gone:hs"), undefined);
    assert.equal((await bridge.portalByRoom("!kept:hs"))?.portalKey, "group:b3RoZXI=");
    assert.ok((await bridge.messageOfEvent("$m!kept:hs")) && (await bridge.reactionByEvent("$r!kept:hs")));
    assert.equal((await disappearing.timerOf("!kept:hs"))?.seconds, 60);
  },
);

storeTest("a Matrix poll's answer ids are kept in order; other polls have none", async (t, backend) => {
  const { bridge } = (await openTempStore(t, undefined, backend)).store;
  await bridge.savePollAnswers("$poll", "!r:hs", ["b-id", "a-id", "c-id"]);
  assert.deepEqual(await bridge.pollAnswersOf("$poll"), ["b-id", "a-id", "c-id"]);
  assert.equal(await bridge.pollAnswersOf("$other"), undefined);
});

storeTest(
  "a direct portal can be a message request; chats are accepted or blocked per user",
  async (t, backend) => {
    const { bridge } = (await openTempStore(t, undefined, backend)).store;
    await bridge.savePortal({
      portalKey: "direct:@alice:hs:aci-1",
      roomId: "!dm:hs",
      kind: "direct",
      chatId: "aci-1",
      receiver: "@alice:hs",
      name: "Stranger",
      topic: undefined,
      avatarUrl: undefined,
    });
    assert.equal(await bridge.isMessageRequest("direct:@alice:hs:aci-1"), false);
    await bridge.setMessageRequest("direct:@alice:hs:aci-1", true);
    assert.equal(await bridge.isMessageRequest("direct:@alice:hs:aci-1"), true);
    await bridge.setMessageRequest("direct:@alice:hs:aci-1", false);
    assert.equal(await bridge.isMessageRequest("direct:@alice:hs:aci-1"), false);

    await bridge.setChatState("@alice:hs", "aci-1", "blocked");
    assert.equal(await bridge.chatState("@alice:hs", "aci-1"), "blocked");
    assert.equal(await bridge.chatState("@bob:hs", "aci-1"), undefined, "another user's decision");
    await bridge.setChatState("@alice:hs", "aci-1", "accepted");
    assert.equal(await bridge.chatState("@alice:hs", "aci-1"), "accepted");
    await bridge.setChatState("@alice:hs", "aci-1", undefined);
    assert.equal(await bridge.chatState("@alice:hs", "aci-1"), undefined);
  },
);

storeTest(
  "a user's personal space is kept next to their management room, each unaffected by the other",
  async (t, backend) => {
    const { store } = await openTempStore(t, undefined, backend);
    const tables = store.bridge;
    assert.equal(await tables.spaceOf("@alice:hs"), undefined);
    await tables.setSpace("@alice:hs", "!space:hs");
    assert.equal(await tables.managementRoomOf("@alice:hs"), undefined);
    await tables.setManagementRoom("@alice:hs", "!dm:hs");
    assert.equal(await tables.spaceOf("@alice:hs"), "!space:hs");
    assert.equal(await tables.managementRoomOf("@alice:hs"), "!dm:hs");
    assert.equal(await tables.spaceOf("@bob:hs"), undefined);
  },
);

storeTest(
  "events claimed at once (concurrent transactions) still get distinct timestamps",
  async (t, backend) => {
    const frozen = () => 1_700_000_000_000;
    const { store } = await openTempStore(t, frozen, backend);
    const claims = await Promise.all(
      Array.from({ length: 24 }, (_, i) => store.bridge.claimOutgoing(`$c${i}`, "!r:hs", "@alice:hs")),
    );
    const stamps = claims.map((c) => c.claim.sentAt);
    assert.equal(new Set(stamps).size, 24, "no two share a timestamp");
    assert.equal(Math.min(...stamps), frozen());
    assert.equal(Math.max(...stamps), frozen() + 23, "no timestamp is skipped");
    assert.ok(claims.every((c) => c.isNew));
    // The same event claimed at once from two places is claimed once.
    const twice = await Promise.all(
      [0, 1].map(() => store.bridge.claimOutgoing("$same", "!r:hs", "@alice:hs")),
    );
    assert.deepEqual(twice.map((c) => c.isNew).sort(), [false, true]);
    assert.equal(twice[0]!.claim.sentAt, twice[1]!.claim.sentAt);
  },
);

storeTest("a ghost's and a portal's names with NUL characters are stored (as U+FFFD)", async (t, backend) => {
  const { bridge } = (await openTempStore(t, undefined, backend)).store;
  await bridge.saveGhost({
    aci: "aci-1",
    displayName: "Mal\u0000lory",
    avatarUrl: undefined,
    avatarHash: undefined,
  });
  assert.equal((await bridge.ghost("aci-1"))?.displayName, "Mal\uFFFDlory");
  await bridge.savePortal({
    portalKey: "group:Z3JvdXA=",
    roomId: "!group:hs",
    kind: "group",
    chatId: "Z3JvdXA=",
    receiver: undefined,
    name: "\u0000club",
    topic: "a\u0000b",
    avatarUrl: undefined,
  });
  const portal = await bridge.portalByRoom("!group:hs");
  assert.deepEqual([portal?.name, portal?.topic], ["\uFFFDclub", "a\uFFFDb"]);
});

storeTest(
  "portals made in the same millisecond list in one order, also after one is updated",
  async (t, backend) => {
    // PostgreSQL returns rows of equal sort keys in storage order, which an UPDATE changes.
    const { bridge } = (await openTempStore(t, () => 5_000, backend)).store;
    const portal = (key: string, kind: "direct" | "group") => ({
      portalKey: key,
      roomId: `!${key}:hs`,
      kind,
      chatId: key,
      receiver: kind === "direct" ? "@alice:hs" : undefined,
      name: key,
      topic: undefined,
      avatarUrl: undefined,
    });
    for (const key of ["direct:b", "direct:a", "direct:c"]) await bridge.savePortal(portal(key, "direct"));
    for (const key of ["group:b", "group:a"]) await bridge.savePortal(portal(key, "group"));
    await bridge.savePortal({ ...portal("direct:a", "direct"), name: "renamed" });
    await bridge.savePortal({ ...portal("group:a", "group"), name: "renamed" });
    assert.deepEqual(
      (await bridge.portalsOf("@alice:hs")).map((p) => p.portalKey),
      ["direct:a", "direct:b", "direct:c"],
    );
    assert.deepEqual(
      (await bridge.groupPortals()).map((p) => p.portalKey),
      ["group:a", "group:b"],
    );
  },
);
