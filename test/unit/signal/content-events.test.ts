import assert from "node:assert/strict";
import { test } from "node:test";
import { signalservice } from "../../../src/proto/generated/signal.js";
import {
  decodeBufferedItem,
  encodeBufferedItem,
  type BufferedItem,
} from "../../../src/signal/buffered-item.js";
import { eventFromItem } from "../../../src/signal/content-events.js";

const FRIEND = "9d0652a3-dcc3-4d11-975f-74d61598733f";
const FRIEND_BINARY = Buffer.from(FRIEND.replaceAll("-", ""), "hex");

function item(content: signalservice.Content.$Properties): BufferedItem {
  return {
    kind: "content",
    sender: { aci: FRIEND, deviceId: 2 },
    timestamp: 1000,
    serverTimestamp: 1001,
    sealed: true,
    content: signalservice.Content.encode(content).finish(),
  };
}

/** Events are derived from what was buffered, so they must survive the buffer's encoding. */
function eventFor(content: signalservice.Content.$Properties): ReturnType<typeof eventFromItem> {
  return eventFromItem("k", decodeBufferedItem(encodeBufferedItem(item(content))));
}

test("a text in a group becomes a message event with the group's master key", () => {
  const masterKey = new Uint8Array(32).fill(7);
  const event = eventFor({ dataMessage: { body: "hi", groupV2: { masterKey, revision: 3 } } });
  assert.equal(event?.type, "message");
  if (event?.type !== "message") return;
  assert.equal(event.message.body, "hi");
  assert.deepEqual(Buffer.from(event.groupMasterKey ?? []), Buffer.from(masterKey));
  assert.deepEqual(event.sender, { aci: FRIEND, deviceId: 2 });
  assert.equal(event.sealed, true);
});

test("reactions and deletes become their own events", () => {
  const reaction = eventFor({
    dataMessage: { reaction: { emoji: "👍", targetAuthorAciBinary: FRIEND_BINARY, targetSentTimestamp: 5 } },
  });
  assert.deepEqual(
    reaction?.type === "reaction" && [
      reaction.emoji,
      reaction.remove,
      reaction.targetAuthorAci,
      reaction.targetTimestamp,
    ],
    ["👍", false, FRIEND, 5],
  );
  const deletion = eventFor({ dataMessage: { delete: { targetSentTimestamp: 9 } } });
  assert.equal(deletion?.type === "delete" && deletion.targetTimestamp, 9);
});

test("edits, receipts, typing and read syncs carry what they refer to", () => {
  const edit = eventFor({ editMessage: { targetSentTimestamp: 4, dataMessage: { body: "fixed" } } });
  assert.deepEqual(edit?.type === "edit" && [edit.targetTimestamp, edit.message.body], [4, "fixed"]);
  const receipt = eventFor({
    receiptMessage: { type: signalservice.ReceiptMessage.Type.READ, timestamp: [1, 2] },
  });
  assert.deepEqual(receipt?.type === "receipt" && [receipt.receipt, receipt.timestamps], ["read", [1, 2]]);
  const typing = eventFor({
    typingMessage: { action: signalservice.TypingMessage.Action.STOPPED, timestamp: 3 },
  });
  assert.deepEqual(typing?.type === "typing" && [typing.action, typing.groupId], ["stopped", null]);
  const read = eventFor({ syncMessage: { read: [{ senderAciBinary: FRIEND_BINARY, timestamp: 8 }] } });
  assert.deepEqual(read?.type === "sync-read" && read.reads, [{ senderAci: FRIEND, timestamp: 8 }]);
});

test("content nobody acts on (sync requests, null messages) yields no event", () => {
  assert.equal(eventFor({ nullMessage: { padding: new Uint8Array(3) } }), null);
  assert.equal(
    eventFor({ syncMessage: { request: { type: signalservice.SyncMessage.Request.Type.CONTACTS } } }),
    null,
  );
});

test("a failure becomes a decryption-error event naming the sender when known", () => {
  const failed: BufferedItem = {
    kind: "failed",
    sender: null,
    timestamp: 1,
    serverTimestamp: 2,
    reason: "bad MAC",
  };
  assert.deepEqual(eventFromItem("k", decodeBufferedItem(encodeBufferedItem(failed))), {
    type: "decryption-error",
    id: "k",
    sender: null,
    timestamp: 1,
    serverTimestamp: 2,
    reason: "bad MAC",
  });
});

test("the phone's request to fetch the latest storage becomes a storage-changed event; other fetches do not", () => {
  const { Type } = signalservice.SyncMessage.FetchLatest;
  assert.equal(
    eventFor({ syncMessage: { fetchLatest: { type: Type.STORAGE_MANIFEST } } })?.type,
    "storage-changed",
  );
  assert.notEqual(
    eventFor({ syncMessage: { fetchLatest: { type: Type.LOCAL_PROFILE } } })?.type,
    "storage-changed",
  );
});

test("call offers and hang-ups, and stories, become events; ICE candidates do not", () => {
  const offer = eventFor({ callMessage: { offer: { id: 1, type: 1 } } });
  assert.equal(offer?.type === "call" && offer.call.offer?.type, 1);
  assert.equal(eventFor({ callMessage: { iceUpdate: [{ id: 1, opaque: new Uint8Array(4) }] } }), null);
  const masterKey = new Uint8Array(32).fill(3);
  const story = eventFor({ storyMessage: { textAttachment: { text: "view" }, group: { masterKey } } });
  assert.equal(story?.type === "story" && story.story.textAttachment?.text, "view");
  assert.deepEqual(
    story?.type === "story" && Buffer.from(story.groupMasterKey ?? []),
    Buffer.from(masterKey),
  );
});

test("the phone's blocked list names contacts by binary or text ACI, and groups by id", () => {
  const groupId = new Uint8Array(32).fill(3);
  const event = eventFor({
    syncMessage: {
      blocked: { acisBinary: [FRIEND_BINARY], acis: [FRIEND.toUpperCase()], groupIds: [groupId] },
    },
  });
  assert.equal(event?.type, "sync-blocked");
  if (event?.type !== "sync-blocked") return;
  assert.deepEqual(event.acis, [FRIEND], "once, in lower case");
  assert.deepEqual(
    event.groupIds.map((id) => Buffer.from(id)),
    [Buffer.from(groupId)],
  );
});

test("the phone's answer to a message request is accept, delete or block", () => {
  const Type = signalservice.SyncMessage.MessageRequestResponse.Type;
  const answer = (type: number) =>
    eventFor({ syncMessage: { messageRequestResponse: { threadAciBinary: FRIEND_BINARY, type } } });
  const accepted = answer(Type.ACCEPT);
  assert.equal(accepted?.type, "sync-message-request");
  if (accepted?.type !== "sync-message-request") return;
  assert.deepEqual([accepted.threadAci, accepted.groupId, accepted.response], [FRIEND, null, "accept"]);
  const blocked = answer(Type.BLOCK_AND_SPAM);
  assert.equal(blocked?.type === "sync-message-request" && blocked.response, "block");
  assert.equal(answer(Type.SPAM), null, "reporting spam alone changes nothing here");
});
