import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import {
  decodePlannedChat,
  encodePlannedChat,
  planChats,
  portalKeyOf,
} from "../../../../src/bridge/backfill/history-plan.js";
import { Portals } from "../../../../src/bridge/portals.js";
import { signalservice } from "../../../../src/proto/generated/signal.js";
import {
  groupIdOf,
  type HistoryArchive,
  type HistoryChat,
  type HistoryItem,
} from "../../../../src/signal/index.js";

const ALICE = "@alice:hs";
const FRIEND = "11111111-1111-4111-8111-111111111111";
const OTHER = "22222222-2222-4222-8222-222222222222";
const BLOCKED = "33333333-3333-4333-8333-333333333333";
const clubKey = new Uint8Array(randomBytes(32));

function item(authorAci: string, sentAt: number, body: string): HistoryItem {
  return {
    authorAci,
    sentAt,
    message: signalservice.DataMessage.create({ body, timestamp: sentAt }),
    plaintextHashes: new Map([["cdn-key", new Uint8Array([1, 2, 3])]]),
  };
}

function chat(
  peer: HistoryChat["peer"],
  lastMessageAt: number,
  items: HistoryItem[],
  blocked = false,
): HistoryChat {
  return {
    peer,
    blocked,
    archived: false,
    pinnedOrder: null,
    lastMessageAt,
    messageCount: items.length,
    items,
  };
}

const archive: HistoryArchive = {
  backupTime: 10_000,
  contacts: [],
  refusedFrames: 0,
  leftOut: {},
  chats: [
    chat({ kind: "contact", aci: FRIEND }, 300, [item(FRIEND, 300, "friend")]),
    chat({ kind: "group", masterKey: clubKey, title: "Club" }, 500, [item(OTHER, 500, "club")]),
    chat({ kind: "contact", aci: OTHER }, 400, []),
    chat({ kind: "contact", aci: BLOCKED }, 900, [item(BLOCKED, 900, "spam")], true),
  ],
};

test("the chats with messages get portals, newest first, blocked ones left out, up to the limit", () => {
  const planned = planChats(ALICE, archive, 50);
  assert.deepEqual(
    planned.map((c) => c.portalKey),
    [Portals.groupKey(groupIdOf(clubKey)), Portals.directKey(ALICE, FRIEND)],
  );
  assert.deepEqual(
    planChats(ALICE, archive, 1).map((c) => c.portalKey),
    [Portals.groupKey(groupIdOf(clubKey))],
  );
  assert.deepEqual(planChats(ALICE, archive, 0), []);
});

test("a direct chat's portal is the user's own with the contact; a group's is shared", () => {
  assert.equal(portalKeyOf(ALICE, { kind: "contact", aci: FRIEND }), Portals.directKey(ALICE, FRIEND));
  assert.equal(
    portalKeyOf(ALICE, { kind: "group", masterKey: clubKey, title: null }),
    portalKeyOf("@bob:hs", { kind: "group", masterKey: clubKey, title: "Club" }),
  );
});

test("a planned chat reads back as it was stored", () => {
  for (const planned of planChats(ALICE, archive, 50)) {
    const back = decodePlannedChat(planned.portalKey, encodePlannedChat(planned));
    assert.equal(back.portalKey, planned.portalKey);
    assert.deepEqual(
      back.peer.kind === "group" ? { ...back.peer, masterKey: [...back.peer.masterKey] } : back.peer,
      planned.peer.kind === "group"
        ? { ...planned.peer, masterKey: [...planned.peer.masterKey] }
        : planned.peer,
    );
    assert.deepEqual(
      back.items.map((i) => [i.authorAci, i.sentAt, i.message.body, [...i.plaintextHashes.keys()]]),
      planned.items.map((i) => [i.authorAci, i.sentAt, i.message.body, [...i.plaintextHashes.keys()]]),
    );
  }
});
