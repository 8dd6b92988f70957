import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { openDatabase, type Store } from "../../../src/store/index.js";

function open(
  t: TestContext,
  dir = mkdtempSync(join(tmpdir(), "bridge-tables-")),
): { store: Store; dir: string } {
  const store = openDatabase({ databasePath: join(dir, "bridge.db"), keyFilePath: join(dir, "bridge.key") });
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, dir };
}

test("portals are found by key and by room, and direct ones by their user", (t) => {
  const { bridge } = open(t).store;
  bridge.savePortal({
    portalKey: "direct:@alice:hs:aci-1",
    roomId: "!dm:hs",
    kind: "direct",
    chatId: "aci-1",
    receiver: "@alice:hs",
    name: "Bob",
    topic: undefined,
    avatarUrl: undefined,
  });
  bridge.savePortal({
    portalKey: "group:Z3JvdXA=",
    roomId: "!group:hs",
    kind: "group",
    chatId: "Z3JvdXA=",
    receiver: undefined,
    name: "Friends",
    topic: "weekend plans",
    avatarUrl: "mxc://hs/a",
  });
  assert.equal(bridge.portalByKey("direct:@alice:hs:aci-1")?.roomId, "!dm:hs");
  assert.equal(bridge.portalByRoom("!group:hs")?.topic, "weekend plans");
  assert.equal(bridge.portalByRoom("!group:hs")?.receiver, undefined);
  assert.deepEqual(
    bridge.portalsOf("@alice:hs").map((p) => p.roomId),
    ["!dm:hs"],
  );
  assert.equal(bridge.portalByRoom("!nope:hs"), undefined);
});

test("a group portal remembers the group revision and avatar it shows, also across a portal update", (t) => {
  const { bridge } = open(t).store;
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
  bridge.savePortal(portal);
  assert.equal(bridge.groupPortalState(portal.portalKey), undefined, "nothing applied yet");
  const shown = { revision: 3, noticeRevision: 2, avatarKey: "groups/abc" };
  bridge.setGroupPortalState(portal.portalKey, shown);
  bridge.savePortal({ ...portal, name: "Best friends" });
  assert.deepEqual(bridge.groupPortalState(portal.portalKey), shown);
  const next = { revision: 4, noticeRevision: 4, avatarKey: undefined };
  bridge.setGroupPortalState(portal.portalKey, next);
  assert.deepEqual(bridge.groupPortalState(portal.portalKey), next);
});

test("a message part is recorded once; redelivery is recognised", (t) => {
  const { bridge } = open(t).store;
  const ref = { roomId: "!r:hs", authorAci: "aci-1", sentAt: 1000, part: 0, eventId: "$a" };
  assert.equal(bridge.recordMessage(ref), true);
  assert.equal(bridge.recordMessage({ ...ref }), false);
  assert.equal(bridge.recordMessage({ ...ref, part: 1, eventId: "$b" }), true);
  assert.deepEqual(
    bridge.eventsOfMessage("!r:hs", "aci-1", 1000).map((r) => r.eventId),
    ["$a", "$b"],
  );
  assert.deepEqual(bridge.messageOfEvent("$b"), { ...ref, part: 1, eventId: "$b" });
});

test("an outgoing Matrix event keeps its first Signal timestamp when delivered again", (t) => {
  const { bridge } = open(t).store;
  const first = bridge.claimOutgoing("$e", "!r:hs", "@alice:hs");
  assert.equal(first.isNew, true);
  const again = bridge.claimOutgoing("$e", "!r:hs", "@alice:hs");
  assert.equal(again.isNew, false);
  assert.equal(again.claim.sentAt, first.claim.sentAt);
  bridge.setOutgoingState("$e", "sent");
  assert.equal(bridge.claimOutgoing("$e", "!r:hs", "@alice:hs").claim.state, "sent");
});

test("events claimed in the same millisecond get distinct, increasing timestamps per account", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bridge-tables-"));
  const frozen = () => 1_700_000_000_000;
  const store = openDatabase({
    databasePath: join(dir, "bridge.db"),
    keyFilePath: join(dir, "bridge.key"),
    now: frozen,
  });
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const alice = Array.from(
    { length: 300 },
    (_, i) => store.bridge.claimOutgoing(`$a${i}`, "!r:hs", "@alice:hs").claim.sentAt,
  );
  assert.equal(new Set(alice).size, 300, "no two of Alice's messages share a timestamp");
  assert.deepEqual(
    alice,
    [...alice].sort((a, b) => a - b),
    "timestamps follow the claim order",
  );
  assert.equal(alice[0], frozen(), "the first one is the current time");
  const bob = store.bridge.claimOutgoing("$b0", "!r2:hs", "@bob:hs").claim.sentAt;
  assert.equal(bob, frozen(), "another account has a clock of its own");
});

test("the Signal clock never goes back, across a reopen, even when the system clock does", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bridge-tables-"));
  const paths = { databasePath: join(dir, "bridge.db"), keyFilePath: join(dir, "bridge.key") };
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = openDatabase({ ...paths, now: () => 5000 });
  const before = first.bridge.claimOutgoing("$1", "!r:hs", "@alice:hs").claim.sentAt;
  first.close();
  const second = openDatabase({ ...paths, now: () => 4000 });
  const after = second.bridge.claimOutgoing("$2", "!r:hs", "@alice:hs").claim.sentAt;
  second.close();
  assert.ok(after > before, `${after} follows ${before}`);
});

test("management rooms and ghosts survive a reopen", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bridge-tables-"));
  const first = openDatabase({ databasePath: join(dir, "bridge.db"), keyFilePath: join(dir, "bridge.key") });
  first.bridge.setManagementRoom("@alice:hs", "!mgmt:hs");
  first.bridge.saveGhost({
    aci: "aci-1",
    displayName: "Bob (Signal)",
    avatarUrl: undefined,
    avatarHash: undefined,
  });
  first.close();
  const { bridge } = open(t, dir).store;
  assert.equal(bridge.managementRoomOf("@alice:hs"), "!mgmt:hs");
  assert.equal(bridge.ghost("aci-1")?.displayName, "Bob (Signal)");
  assert.equal(bridge.managementRoomOf("@bob:hs"), undefined);
});

test("a Signal user's reaction on a message is replaced, found and removed", (t) => {
  const { bridge } = open(t).store;
  const base = { roomId: "!r:hs", reactorAci: "aci-2", targetAuthorAci: "aci-1", targetSentAt: 1000 };
  bridge.saveReaction({ ...base, emoji: "👍", eventId: "$r1" });
  bridge.saveReaction({ ...base, emoji: "❤️", eventId: "$r2" });
  assert.deepEqual(bridge.reaction("!r:hs", "aci-2", "aci-1", 1000), {
    ...base,
    emoji: "❤️",
    eventId: "$r2",
  });
  bridge.deleteReaction("$r2");
  assert.equal(bridge.reaction("!r:hs", "aci-2", "aci-1", 1000), undefined);
});

test("a portal's relay is set and cleared, and a relayed send remembers whom it was for", (t) => {
  const { bridge } = open(t).store;
  bridge.savePortal({
    portalKey: "direct:@alice:hs:aci-1",
    roomId: "!dm:hs",
    kind: "direct",
    chatId: "aci-1",
    receiver: "@alice:hs",
    name: "Bob",
    topic: undefined,
    avatarUrl: undefined,
  });
  assert.equal(bridge.relayOf("direct:@alice:hs:aci-1"), undefined);
  bridge.setRelay("direct:@alice:hs:aci-1", "@alice:hs");
  assert.equal(bridge.relayOf("direct:@alice:hs:aci-1"), "@alice:hs");
  bridge.setRelay("direct:@alice:hs:aci-1", undefined);
  assert.equal(bridge.relayOf("direct:@alice:hs:aci-1"), undefined);

  bridge.claimOutgoing("$relayed", "!dm:hs", "@alice:hs", "@carol:hs");
  bridge.claimOutgoing("$own", "!dm:hs", "@alice:hs");
  assert.equal(bridge.outgoing("$relayed")?.relayedFor, "@carol:hs");
  assert.equal(bridge.outgoing("$own")?.relayedFor, undefined);
});

test("deleting a portal forgets its room's messages, reactions, sends and timer, and no other room's", (t) => {
  const store = open(t).store;
  const { bridge, disappearing } = store;
  for (const [key, roomId] of [
    ["group:Z3JvdXA=", "!gone:hs"],
    ["group:b3RoZXI=", "!kept:hs"],
  ] as const) {
    bridge.savePortal({
      portalKey: key,
      roomId,
      kind: "group",
      chatId: key.slice("group:".length),
      receiver: undefined,
      name: undefined,
      topic: undefined,
      avatarUrl: undefined,
    });
    bridge.recordMessage({ roomId, authorAci: "aci-1", sentAt: 1, part: 0, eventId: `$m${roomId}` });
    bridge.saveReaction({
      roomId,
      reactorAci: "aci-2",
      targetAuthorAci: "aci-1",
      targetSentAt: 1,
      emoji: "👍",
      eventId: `$r${roomId}`,
    });
    bridge.claimOutgoing(`$o${roomId}`, roomId, "@alice:hs");
    disappearing.setTimer(roomId, { seconds: 60, version: 1 });
  }
  bridge.deletePortal("group:Z3JvdXA=");
  assert.equal(bridge.portalByRoom("!gone:hs"), undefined);
  assert.equal(bridge.messageOfEvent("$m!gone:hs"), undefined);
  assert.equal(bridge.reactionByEvent("$r!gone:hs"), undefined);
  assert.equal(bridge.outgoing("$o!gone:hs"), undefined);
  assert.equal(disappearing.timerOf("!gone:hs"), undefined);
  assert.equal(bridge.portalByRoom("!kept:hs")?.portalKey, "group:b3RoZXI=");
  assert.ok(bridge.messageOfEvent("$m!kept:hs") && bridge.reactionByEvent("$r!kept:hs"));
  assert.equal(disappearing.timerOf("!kept:hs")?.seconds, 60);
});

test("a Matrix poll's answer ids are kept in order; other polls have none", (t) => {
  const { bridge } = open(t).store;
  bridge.savePollAnswers("$poll", "!r:hs", ["b-id", "a-id", "c-id"]);
  assert.deepEqual(bridge.pollAnswersOf("$poll"), ["b-id", "a-id", "c-id"]);
  assert.equal(bridge.pollAnswersOf("$other"), undefined);
});

test("a direct portal can be a message request; chats are accepted or blocked per user", (t) => {
  const { bridge } = open(t).store;
  bridge.savePortal({
    portalKey: "direct:@alice:hs:aci-1",
    roomId: "!dm:hs",
    kind: "direct",
    chatId: "aci-1",
    receiver: "@alice:hs",
    name: "Stranger",
    topic: undefined,
    avatarUrl: undefined,
  });
  assert.equal(bridge.isMessageRequest("direct:@alice:hs:aci-1"), false);
  bridge.setMessageRequest("direct:@alice:hs:aci-1", true);
  assert.equal(bridge.isMessageRequest("direct:@alice:hs:aci-1"), true);
  bridge.setMessageRequest("direct:@alice:hs:aci-1", false);
  assert.equal(bridge.isMessageRequest("direct:@alice:hs:aci-1"), false);

  bridge.setChatState("@alice:hs", "aci-1", "blocked");
  assert.equal(bridge.chatState("@alice:hs", "aci-1"), "blocked");
  assert.equal(bridge.chatState("@bob:hs", "aci-1"), undefined, "another user's decision");
  bridge.setChatState("@alice:hs", "aci-1", "accepted");
  assert.equal(bridge.chatState("@alice:hs", "aci-1"), "accepted");
  bridge.setChatState("@alice:hs", "aci-1", undefined);
  assert.equal(bridge.chatState("@alice:hs", "aci-1"), undefined);
});

test("a user's personal space is kept next to their management room, each unaffected by the other", (t) => {
  const { store } = open(t);
  const tables = store.bridge;
  assert.equal(tables.spaceOf("@alice:hs"), undefined);
  tables.setSpace("@alice:hs", "!space:hs");
  assert.equal(tables.managementRoomOf("@alice:hs"), undefined);
  tables.setManagementRoom("@alice:hs", "!dm:hs");
  assert.equal(tables.spaceOf("@alice:hs"), "!space:hs");
  assert.equal(tables.managementRoomOf("@alice:hs"), "!dm:hs");
  assert.equal(tables.spaceOf("@bob:hs"), undefined);
});
