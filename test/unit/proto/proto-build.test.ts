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
