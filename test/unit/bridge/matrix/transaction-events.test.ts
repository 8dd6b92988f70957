import assert from "node:assert/strict";
import { test } from "node:test";
import { transactionEvents } from "../../../../src/bridge/matrix/transaction-events.js";

const isBridgeUser = (userId: string) => userId.startsWith("@signal_") || userId === "@signalbot:hs";
const text = (id: string, sender = "@alice:hs") => ({
  event_id: id,
  room_id: "!r:hs",
  type: "m.room.message",
  sender,
  content: { msgtype: "m.text", body: "hi" },
});

test("room events and ephemeral events are journaled in order with their keys", () => {
  const typing = { type: "m.typing", room_id: "!r:hs", content: { user_ids: ["@alice:hs"] } };
  const result = transactionEvents(
    "txn1",
    { events: [text("$1"), text("$2")], ephemeral: [typing] },
    isBridgeUser,
  );
  assert.deepEqual(
    result.journal.map((e) => [e.key, e.kind]),
    [
      ["$1", "event"],
      ["$2", "event"],
      [result.journal[2]!.key, "ephemeral"],
    ],
  );
  assert.deepEqual(result.skipped, []);
  assert.match(result.journal[2]!.key, /^txn1\/ephemeral\/0\//);
  const again = transactionEvents("txn1", { ephemeral: [typing] }, isBridgeUser);
  assert.equal(again.journal[0]!.key, result.journal[2]!.key, "a redelivery has the same key");
  const reused = transactionEvents(
    "txn1",
    { ephemeral: [{ ...typing, content: { user_ids: [] } }] },
    isBridgeUser,
  );
  assert.notEqual(reused.journal[0]!.key, result.journal[2]!.key, "a reused id with other content does not");
});

test("ephemeral events are read from the unstable key when the stable one is absent, never twice", () => {
  const receipt = { type: "m.receipt", room_id: "!r:hs", content: {} };
  const unstable = transactionEvents("t", { "de.sorunome.msc2409.ephemeral": [receipt] }, isBridgeUser);
  assert.equal(unstable.journal.length, 1);
  const both = transactionEvents(
    "t",
    { ephemeral: [receipt], "de.sorunome.msc2409.ephemeral": [receipt] },
    isBridgeUser,
  );
  assert.equal(both.journal.length, 1);
});

test("the bridge's own events are not journaled but still reach the library", () => {
  const result = transactionEvents(
    "t",
    { events: [text("$1", "@signal_abc:hs"), text("$2", "@signalbot:hs")] },
    isBridgeUser,
  );
  assert.equal(result.journal.length, 0);
  assert.equal(result.roomEvents.length, 2);
});

test("null, wrong types and missing fields are left out with a reason, never thrown", () => {
  const body = {
    events: [
      null,
      5,
      "x",
      [],
      { type: "m.room.message" },
      { ...text("$1"), content: null },
      { ...text("$2"), room_id: 7 },
      text("$ok"),
    ],
    ephemeral: [
      null,
      { type: "m.typing" },
      { type: "m.presence", content: {} },
      { room_id: "!r:hs", content: {} },
    ],
  };
  const result = transactionEvents("t", body, isBridgeUser);
  assert.deepEqual(
    result.journal.map((e) => e.key),
    ["$ok"],
  );
  assert.equal(result.skipped.length, 10, result.skipped.join("\n"));
  for (const odd of [null, "text", 42, [], { events: "nope", ephemeral: {} }]) {
    assert.deepEqual(transactionEvents("t", odd, isBridgeUser).journal, []);
  }
});

test("events the bridge sent as a user's own account (its double puppet marker) are not journaled", () => {
  const marked = (id: string, source: string) => ({
    ...text(id),
    content: { msgtype: "m.text", body: "from the phone", "fi.mau.double_puppet_source": source },
  });
  const isOwnEcho = (content: unknown) =>
    (content as Record<string, unknown>)["fi.mau.double_puppet_source"] === "signal";
  const result = transactionEvents(
    "t",
    { events: [marked("$echo", "signal"), marked("$other", "another-bridge"), text("$typed")] },
    isBridgeUser,
    isOwnEcho,
  );
  assert.deepEqual(
    result.journal.map((e) => e.key),
    ["$other", "$typed"],
    "another bridge's double puppet events and the user's own are relayed",
  );
});

test("device data (to-device messages, device lists, key counts) is read from the unstable keys", () => {
  const toBot = {
    type: "m.room.encrypted",
    sender: "@alice:example.org",
    to_user_id: "@bot:example.org",
    to_device_id: "BOTDEVICE",
    content: { algorithm: "m.olm.v1.curve25519-aes-sha2", ciphertext: {} },
  };
  const { device, skipped } = transactionEvents(
    "txn",
    {
      events: [],
      "de.sorunome.msc2409.to_device": [toBot, { type: "m.room_key" }, null],
      "org.matrix.msc3202.device_lists": { changed: ["@alice:example.org", 7], left: ["@carol:example.org"] },
      "org.matrix.msc3202.device_one_time_keys_count": {
        "@bot:example.org": { BOTDEVICE: { signed_curve25519: 12, broken: "x" } },
      },
      "org.matrix.msc3202.device_unused_fallback_key_types": {
        "@bot:example.org": { BOTDEVICE: ["signed_curve25519"] },
      },
    },
    () => false,
  );
  assert.deepEqual(device.toDevice, [toBot]);
  assert.equal(skipped.length, 2, "the two malformed to-device entries are named");
  assert.deepEqual(device.changed, ["@alice:example.org"]);
  assert.deepEqual(device.left, ["@carol:example.org"]);
  assert.deepEqual(device.oneTimeKeyCounts, { "@bot:example.org": { BOTDEVICE: { signed_curve25519: 12 } } });
  assert.deepEqual(device.unusedFallbackKeyTypes, {
    "@bot:example.org": { BOTDEVICE: ["signed_curve25519"] },
  });
});

test("a transaction without device data has empty device data", () => {
  const { device } = transactionEvents("txn", { events: [] }, () => false);
  assert.deepEqual(device, {
    toDevice: [],
    changed: [],
    left: [],
    oneTimeKeyCounts: {},
    unusedFallbackKeyTypes: {},
  });
});
