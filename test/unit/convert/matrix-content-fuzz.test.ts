// Malformed Matrix content: whatever a client puts in an event, conversion gives a Signal message
// or says why not, and never throws.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { matrixEventToSignal, MAX_TEXT_BYTES, utf8Length } from "../../../src/convert/index.js";
import { ALICE, matrixContext } from "./fake-context.js";

const KNOWN_EVENT = "$known:example.org";
const ctx = matrixContext({ [KNOWN_EVENT]: { authorAci: ALICE, sentTimestamp: 1000 } });

/** Any JSON-ish value, the wrong type for most fields. */
const junk = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 10 }),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

const eventId = fc.oneof(fc.constant(KNOWN_EVENT), junk);
const relatesTo = fc.oneof(
  junk,
  fc.record(
    {
      rel_type: fc.oneof(fc.constantFrom("m.replace", "m.annotation", "m.thread"), junk),
      event_id: eventId,
      key: fc.oneof(fc.constantFrom("👍", "x"), junk),
      "m.in_reply_to": fc.oneof(junk, fc.record({ event_id: eventId }, { requiredKeys: [] })),
    },
    { requiredKeys: [] },
  ),
);

const textLike = {
  msgtype: fc.oneof(
    fc.constantFrom("m.text", "m.notice", "m.emote", "m.image", "m.file", "m.audio", "m.video", "m.location"),
    junk,
  ),
  body: fc.oneof(fc.string({ maxLength: 20 }), junk),
  format: fc.oneof(fc.constant("org.matrix.custom.html"), junk),
  formatted_body: fc.oneof(fc.constantFrom("<b>hi</b>", "<ol><li>x"), junk),
  "m.relates_to": relatesTo,
  "m.mentions": fc.oneof(junk, fc.record({ user_ids: junk, room: junk }, { requiredKeys: [] })),
  url: fc.oneof(fc.constant("mxc://example.org/x"), junk),
  file: fc.oneof(junk, fc.record({ url: junk, key: junk, iv: junk }, { requiredKeys: [] })),
  info: fc.oneof(junk, fc.record({ mimetype: junk, size: junk, w: junk, h: junk }, { requiredKeys: [] })),
  filename: junk,
  geo_uri: fc.oneof(fc.constant("geo:1,2"), junk),
  "org.matrix.msc3488.location": junk,
};
const content = fc.oneof(
  junk,
  fc.record(
    { ...textLike, "m.new_content": fc.oneof(junk, fc.record(textLike, { requiredKeys: [] })) },
    {
      requiredKeys: [],
    },
  ),
);

test("property: malformed Matrix content converts to a message or a reason, never a throw", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom("m.room.message", "m.sticker", "m.reaction", "m.room.topic"),
      content,
      async (type, content) => {
        const out = await matrixEventToSignal(
          { type, content: content as Record<string, unknown> | null },
          ctx,
        );
        if (out.kind === "ignored") {
          assert.ok(out.reason.length > 0);
          return;
        }
        assert.ok(["message", "edit", "reaction"].includes(out.kind), out.kind);
        if (typeof out.dataMessage.body === "string")
          assert.ok(utf8Length(out.dataMessage.body) <= MAX_TEXT_BYTES);
      },
    ),
    { numRuns: 3000 },
  );
});

test("Matrix -> Signal: content that is not an object is an empty message", async () => {
  for (const content of [null, "text", 42, ["m.text"]]) {
    const out = await matrixEventToSignal({ type: "m.room.message", content: content as null }, ctx);
    assert.deepEqual(out, { kind: "ignored", reason: "Messages of type (none) cannot be sent to Signal" });
  }
});

test("Matrix -> Signal: a plain body over the size cap is cut and marked", async () => {
  const out = await matrixEventToSignal(
    { type: "m.room.message", content: { msgtype: "m.text", body: "ü".repeat(MAX_TEXT_BYTES) } },
    ctx,
  );
  assert.equal(out.kind, "message");
  const body = out.kind === "message" ? (out.dataMessage.body ?? "") : "";
  assert.ok(utf8Length(body) <= MAX_TEXT_BYTES);
  assert.ok(body.endsWith("…"));
});

test("Matrix -> Signal: a huge reply fallback is cut for the quote's text", async () => {
  const fallback = `> <@bob:example.org> ${"q".repeat(100_000)}`;
  const out = await matrixEventToSignal(
    {
      type: "m.room.message",
      content: {
        msgtype: "m.text",
        body: `${fallback}\n\nanswer`,
        "m.relates_to": { "m.in_reply_to": { event_id: KNOWN_EVENT } },
      },
    },
    ctx,
  );
  assert.ok(out.kind === "message");
  assert.equal(out.dataMessage.body, "answer");
  assert.ok(utf8Length(out.dataMessage.quote?.text ?? "") <= 2048);
});
