import assert from "node:assert/strict";
import { test } from "node:test";
import {
  LONG_TEXT_CONTENT_TYPE,
  longTextAttachmentOf,
  MAX_INLINE_BODY_BYTES,
  signalMessageToMatrix,
  splitLongBody,
  utf8Length,
  withLongText,
} from "../../../src/convert/index.js";
import { BOB, signalContext } from "./fake-context.js";

test("long text: a body that fits inline is not split", () => {
  assert.equal(splitLongBody("short"), undefined);
  assert.equal(splitLongBody("a".repeat(MAX_INLINE_BODY_BYTES)), undefined);
});

test("long text: a longer body is cut to the inline limit and sent whole as text", () => {
  const body = "word ".repeat(2000);
  const split = splitLongBody(body);
  assert.equal(split?.text, body);
  assert.equal(split?.inlineBody, body.slice(0, MAX_INLINE_BODY_BYTES));
});

test("long text: the inline body is cut on a code point boundary", () => {
  // 2047 bytes of ASCII, then emoji of 4 bytes: the first emoji does not fit.
  const body = "a".repeat(MAX_INLINE_BODY_BYTES - 1) + "😀".repeat(10);
  const split = splitLongBody(body);
  assert.equal(split?.inlineBody, "a".repeat(MAX_INLINE_BODY_BYTES - 1));
  const accents = "é".repeat(MAX_INLINE_BODY_BYTES);
  const inline = splitLongBody(accents)?.inlineBody ?? "";
  assert.equal(utf8Length(inline), MAX_INLINE_BODY_BYTES);
  assert.equal(inline, "é".repeat(MAX_INLINE_BODY_BYTES / 2));
});

const longMessage = {
  body: "The start of",
  bodyRanges: [
    { start: 4, length: 5, style: 1 },
    { start: 20, length: 4, style: 2 },
  ],
  attachments: [
    { contentType: LONG_TEXT_CONTENT_TYPE, size: 30 },
    { contentType: "image/png", fileName: "a.png" },
  ],
};

test("long text: the received text replaces the body, its ranges apply to it, and it is no file", async () => {
  assert.equal(longTextAttachmentOf(longMessage)?.contentType, LONG_TEXT_CONTENT_TYPE);
  const whole = withLongText(longMessage, "The start of a long text, whole.");
  assert.equal(whole.body, "The start of a long text, whole.");
  assert.deepEqual(whole.bodyRanges, longMessage.bodyRanges);
  assert.deepEqual(whole.attachments, [{ contentType: "image/png", fileName: "a.png" }]);
  const [image, text] = await signalMessageToMatrix(
    whole,
    BOB,
    signalContext({ media: { "attachment:0": { url: "mxc://hs/a" } } }),
  );
  assert.ok(image?.kind === "send" && image.eventType === "m.room.message");
  assert.equal(image.content.body, "a.png");
  assert.ok(text?.kind === "send" && text.eventType === "m.room.message");
  assert.equal(text.content.body, "The start of a long text, whole.");
  assert.equal(text.content.formatted_body, "The <strong>start</strong> of a long <em>text</em>, whole.");
});

test("long text: when the text could not be downloaded, the inline body says it is cut", async () => {
  const cut = withLongText(longMessage, undefined);
  assert.match(cut.body ?? "", /^The start of\n\n\[This message is longer; the rest could not be bridged/);
  assert.equal(cut.attachments?.length, 1);
  const [, text] = await signalMessageToMatrix(
    cut,
    BOB,
    signalContext({ media: { "attachment:0": { url: "mxc://hs/a" } } }),
  );
  assert.ok(text?.kind === "send" && text.eventType === "m.room.message");
  // The bold range lies in the inline body; the italic one lay beyond it and must not style the note.
  assert.match(text.content.formatted_body ?? "", /^The <strong>start<\/strong> of<br><br>\[This message/);
  assert.doesNotMatch(text.content.formatted_body ?? "", /<em>/);
});

test("long text: a content type with parameters or in capitals is still long text", () => {
  assert.ok(longTextAttachmentOf({ attachments: [{ contentType: "Text/X-Signal-Plain; charset=utf-8" }] }));
  assert.equal(longTextAttachmentOf({ attachments: [{ contentType: "text/plain" }] }), undefined);
});
