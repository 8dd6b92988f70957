import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { liveChatKey } from "../../../src/bridge/signal-chat-key.js";
import { Portals } from "../../../src/bridge/portals.js";
import { signalservice } from "../../../src/proto/generated/signal.js";
import { type BufferedSignalEvent, groupIdOf } from "../../../src/signal/index.js";

const ALICE = "@alice:hs";
const OWN = "00000000-0000-4000-8000-000000000000";
const FRIEND = "11111111-1111-4111-8111-111111111111";
const clubKey = new Uint8Array(randomBytes(32));
const base = {
  id: "e1",
  sender: { aci: FRIEND, deviceId: 1 },
  timestamp: 5,
  serverTimestamp: 6,
  sealed: true,
};
const key = (event: Record<string, unknown>) =>
  liveChatKey(ALICE, OWN, { ...base, ...event } as unknown as BufferedSignalEvent);

test("a live event belongs to the chat of its sender, its group, or the recipient of our own message", () => {
  const message = signalservice.DataMessage.create({ body: "hi" });
  assert.equal(key({ type: "message", message, groupMasterKey: null }), Portals.directKey(ALICE, FRIEND));
  assert.equal(
    key({ type: "reaction", groupMasterKey: clubKey, emoji: "👍" }),
    Portals.groupKey(groupIdOf(clubKey)),
  );
  assert.equal(
    key({ type: "sync-sent", destinationServiceId: FRIEND, groupMasterKey: null }),
    Portals.directKey(ALICE, FRIEND),
  );
  assert.equal(
    key({ type: "sync-sent", destinationServiceId: null, groupMasterKey: null }),
    Portals.directKey(ALICE, OWN),
    "a note to self",
  );
  assert.equal(
    key({ type: "typing", groupId: new Uint8Array([1, 2]), action: "started" }),
    Portals.groupKey(Buffer.from([1, 2]).toString("base64")),
  );
});

test("events of no one chat wait for no history", () => {
  assert.equal(key({ type: "receipt", receipt: "read", timestamps: [1] }), null);
  assert.equal(key({ type: "contacts-sync" }), null);
  assert.equal(key({ type: "decryption-error", sender: null }), null);
});
