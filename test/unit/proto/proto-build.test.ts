// Smoke test for the generated protobuf code: proves the schema compiles and
// that key field numbers match the Signal wire format.
import { test } from "node:test";
import assert from "node:assert/strict";
import { signalservice } from "../../../src/proto/generated/signal.js";

test("Content/DataMessage round-trips body, bodyRanges and quote", () => {
  const bytes = signalservice.Content.encode({
    dataMessage: {
      body: "hi @bob",
      timestamp: 1_700_000_000_123,
      bodyRanges: [
        { start: 3, length: 4, mentionAci: "7a1b2c3d-0000-4000-8000-000000000001" },
        { start: 0, length: 2, style: signalservice.BodyRange.Style.BOLD },
      ],
      quote: { id: 1_699_999_999_000, authorAci: "aci-1", text: "earlier" },
    },
  }).finish();
  const dm = signalservice.Content.decode(bytes).dataMessage;
  assert.ok(dm);
  assert.equal(dm.body, "hi @bob");
  // uint64 may decode as a Long unless protobufjs is configured without Long.
  assert.equal(String(dm.timestamp), "1700000000123");
  assert.equal(dm.bodyRanges?.[0]?.mentionAci, "7a1b2c3d-0000-4000-8000-000000000001");
  assert.equal(dm.bodyRanges?.[1]?.style, signalservice.BodyRange.Style.BOLD);
  assert.equal(String(dm.quote?.id), "1699999999000");
  assert.equal(dm.quote?.text, "earlier");
});

test("hand-built bytes decode with the expected field numbers", () => {
  // DataMessage: field 1 (body, LEN) "hi", field 4 (flags, VARINT) 2.
  const dataMessage = [0x0a, 0x02, 0x68, 0x69, 0x20, 0x02];
  // Content: field 1 (dataMessage, LEN).
  const content = [0x0a, dataMessage.length, ...dataMessage];
  // Envelope: field 1 (type) 6, field 7 (sourceDevice) 3, field 8 (content),
  // field 14 (urgent) false.
  const envelope = Uint8Array.from([0x08, 0x06, 0x38, 0x03, 0x42, content.length, ...content, 0x70, 0x00]);

  const env = signalservice.Envelope.decode(envelope);
  assert.equal(env.type, signalservice.Envelope.Type.UNIDENTIFIED_SENDER);
  assert.equal(env.sourceDevice, 3);
  assert.equal(env.urgent, false);
  const dm = signalservice.Content.decode(env.content).dataMessage;
  assert.equal(dm?.body, "hi");
  assert.equal(dm?.flags, signalservice.DataMessage.Flags.EXPIRATION_TIMER_UPDATE);

  // SyncMessage.Sent is field 1; Sent.message (DataMessage) is field 3.
  const sync = signalservice.SyncMessage.decode(
    Uint8Array.from([0x0a, 0x06, 0x1a, 0x04, 0x0a, 0x02, 0x68, 0x69]),
  );
  assert.equal(sync.sent?.message?.body, "hi");
});

test("websocket, provisioning, groups and storage field numbers", () => {
  // WebSocketMessage{type=REQUEST(1), request{verb="PUT"(1), id=7(4)}}.
  const ws = signalservice.WebSocketMessage.decode(
    Uint8Array.from([0x08, 0x01, 0x12, 0x07, 0x0a, 0x03, 0x50, 0x55, 0x54, 0x20, 0x07]),
  );
  assert.equal(ws.type, signalservice.WebSocketMessage.Type.REQUEST);
  assert.equal(ws.request?.verb, "PUT");
  assert.equal(String(ws.request?.id), "7");

  // ProvisionMessage aciBinary is field 17 (tag 0x8a 0x01), provisioningCode 4.
  const pm = signalservice.ProvisionMessage.decode(
    Uint8Array.from([0x8a, 0x01, 0x01, 0xaa, 0x22, 0x01, 0x39]),
  );
  assert.deepEqual([...(pm.aciBinary ?? [])], [0xaa]);
  assert.equal(pm.provisioningCode, "9");

  // GroupChange.Actions: version 2, modifyTitle 10 { title 1 }.
  const actions = signalservice.GroupChange.Actions.decode(
    Uint8Array.from([0x10, 0x05, 0x52, 0x03, 0x0a, 0x01, 0x78]),
  );
  assert.equal(actions.version, 5);
  assert.deepEqual([...(actions.modifyTitle?.title ?? [])], [0x78]);

  // StorageRecord.account is field 4; AccountRecord.givenName is field 2.
  const rec = signalservice.StorageRecord.decode(Uint8Array.from([0x22, 0x03, 0x12, 0x01, 0x41]));
  assert.equal(rec.account?.givenName, "A");
});

test("64-bit fields decode as plain numbers, as the generated typings say", () => {
  const timestamp = 1_732_240_000_123;
  const decoded = signalservice.Envelope.decode(signalservice.Envelope.encode({ timestamp }).finish());
  assert.equal(decoded.timestamp, timestamp);
  assert.equal(typeof signalservice.Envelope.decode(new Uint8Array()).serverTimestamp, "number");
});
