import assert from "node:assert/strict";
import { test } from "node:test";
import {
  matrixEventToSignal,
  matrixRedactionToSignal,
  stripReplyFallback,
  type SignalOutgoing,
} from "../../../src/convert/index.js";
import { ALICE, BOB, ghostOf, matrixContext } from "./fake-context.js";

const ctx = matrixContext({ "$signal-msg": { authorAci: BOB, sentTimestamp: 1000 } });

function message(result: SignalOutgoing) {
  assert.equal(result.kind, "message", JSON.stringify(result));
  if (result.kind !== "message") throw new Error("unreachable");
  return result;
}

test("Matrix -> Signal: formatted text with a pill becomes body ranges and a mention", async () => {
  const result = message(
    await matrixEventToSignal(
      {
        type: "m.room.message",
        content: {
          msgtype: "m.text",
          body: "Alice: **hi** there",
          format: "org.matrix.custom.html",
          formatted_body: `<a href="https://matrix.to/#/${ghostOf(ALICE)}">Alice</a>: <strong>hi <em>there</em></strong>`,
        },
      },
      ctx,
    ),
  );
  assert.deepEqual(result.dataMessage, {
    body: "\uFFFC: hi there",
    bodyRanges: [
      { start: 0, length: 1, mentionAci: ALICE },
      { start: 3, length: 8, style: 1 },
      { start: 6, length: 5, style: 2 },
    ],
  });
  assert.deepEqual(result.attachments, []);
});

test("Matrix -> Signal: plain text is sent as is", async () => {
  const result = message(
    await matrixEventToSignal(
      { type: "m.room.message", content: { msgtype: "m.text", body: "> not a reply\n\n<b>" } },
      ctx,
    ),
  );
  assert.deepEqual(result.dataMessage, { body: "> not a reply\n\n<b>" });
});

test("Matrix -> Signal: notices are text and emotes are /me", async () => {
  const notice = message(
    await matrixEventToSignal(
      { type: "m.room.message", content: { msgtype: "m.notice", body: "bot says" } },
      ctx,
    ),
  );
  assert.equal(notice.dataMessage.body, "bot says");
  const emote = message(
    await matrixEventToSignal(
      {
        type: "m.room.message",
        content: {
          msgtype: "m.emote",
          body: "waves",
          format: "org.matrix.custom.html",
          formatted_body: "<b>waves</b>",
        },
      },
      ctx,
    ),
  );
  assert.deepEqual(emote.dataMessage, { body: "/me waves", bodyRanges: [{ start: 4, length: 5, style: 1 }] });
});

test("Matrix -> Signal: a reply becomes a quote, without the reply fallback", async () => {
  const result = message(
    await matrixEventToSignal(
      {
        type: "m.room.message",
        content: {
          msgtype: "m.text",
          body: `> <${ghostOf(BOB)}> the original\n> line two\n\nmy answer`,
          format: "org.matrix.custom.html",
          formatted_body: "<mx-reply><blockquote>the original</blockquote></mx-reply>my <i>answer</i>",
          "m.relates_to": { "m.in_reply_to": { event_id: "$signal-msg" } },
        },
      },
      ctx,
    ),
  );
  assert.deepEqual(result.dataMessage, {
    body: "my answer",
    bodyRanges: [{ start: 3, length: 6, style: 2 }],
    quote: { id: 1000, authorAci: BOB, text: "the original\nline two", bodyRanges: [] },
  });
});

test("Matrix -> Signal: a plain-text reply loses its fallback too", async () => {
  const result = message(
    await matrixEventToSignal(
      {
        type: "m.room.message",
        content: {
          msgtype: "m.text",
          body: "> <@x:y> q\n\na",
          "m.relates_to": { "m.in_reply_to": { event_id: "$signal-msg" } },
        },
      },
      ctx,
    ),
  );
  assert.equal(result.dataMessage.body, "a");
  assert.equal(result.dataMessage.quote?.text, "q");
});

test("Matrix -> Signal: a reply to an event not on Signal is sent without a quote", async () => {
  const result = message(
    await matrixEventToSignal(
      {
        type: "m.room.message",
        content: {
          msgtype: "m.text",
          body: "hi",
          "m.relates_to": { "m.in_reply_to": { event_id: "$unknown" } },
        },
      },
      ctx,
    ),
  );
  assert.deepEqual(result.dataMessage, { body: "hi" });
});

test("Matrix -> Signal: an edit sends the new content as an edit of the Signal message", async () => {
  const result = await matrixEventToSignal(
    {
      type: "m.room.message",
      content: {
        msgtype: "m.text",
        body: "* fixed",
        "m.new_content": {
          msgtype: "m.text",
          body: "fixed",
          format: "org.matrix.custom.html",
          formatted_body: "<del>fixed</del>",
        },
        "m.relates_to": { rel_type: "m.replace", event_id: "$signal-msg" },
      },
    },
    ctx,
  );
  assert.deepEqual(result, {
    kind: "edit",
    targetSentTimestamp: 1000,
    dataMessage: { body: "fixed", bodyRanges: [{ start: 0, length: 5, style: 4 }] },
  });
});

test("Matrix -> Signal: an edit of something not on Signal is ignored with a reason", async () => {
  const result = await matrixEventToSignal(
    {
      type: "m.room.message",
      content: {
        msgtype: "m.text",
        body: "* x",
        "m.new_content": { msgtype: "m.text", body: "x" },
        "m.relates_to": { rel_type: "m.replace", event_id: "$nope" },
      },
    },
    ctx,
  );
  assert.equal(result.kind, "ignored");
});

test("Matrix -> Signal: a reaction and its redaction", async () => {
  const reaction = matrixEventToSignal(
    {
      type: "m.reaction",
      content: { "m.relates_to": { rel_type: "m.annotation", event_id: "$signal-msg", key: "❤️" } },
    },
    ctx,
  );
  assert.deepEqual(await reaction, {
    kind: "reaction",
    dataMessage: {
      reaction: { emoji: "❤️", remove: false, targetAuthorAci: BOB, targetSentTimestamp: 1000 },
    },
  });
  assert.deepEqual(
    matrixRedactionToSignal({
      kind: "reaction",
      emoji: "❤️",
      target: { authorAci: BOB, sentTimestamp: 1000 },
    }),
    {
      kind: "reaction",
      dataMessage: {
        reaction: { emoji: "❤️", remove: true, targetAuthorAci: BOB, targetSentTimestamp: 1000 },
      },
    },
  );
});

test("Matrix -> Signal: a text reaction is not an emoji and is ignored", async () => {
  const result = await matrixEventToSignal(
    {
      type: "m.reaction",
      content: { "m.relates_to": { rel_type: "m.annotation", event_id: "$signal-msg", key: "+1" } },
    },
    ctx,
  );
  assert.equal(result.kind, "ignored");
});

test("Matrix -> Signal: redacting a message deletes it for everyone", () => {
  assert.deepEqual(
    matrixRedactionToSignal({ kind: "message", message: { authorAci: ALICE, sentTimestamp: 42 } }),
    {
      kind: "delete",
      dataMessage: { delete: { targetSentTimestamp: 42 } },
    },
  );
});

test("Matrix -> Signal: an image becomes an attachment description with its metadata", async () => {
  const result = message(
    await matrixEventToSignal(
      {
        type: "m.room.message",
        content: {
          msgtype: "m.image",
          body: "cat.png",
          url: "mxc://hs/cat",
          info: { mimetype: "image/png", size: 1234, w: 100, h: 50, "xyz.amorgan.blurhash": "LEHV" },
        },
      },
      ctx,
    ),
  );
  assert.deepEqual(result.dataMessage, {});
  assert.deepEqual(result.attachments, [
    {
      source: { url: "mxc://hs/cat" },
      pointer: {
        contentType: "image/png",
        fileName: "cat.png",
        size: 1234,
        width: 100,
        height: 50,
        blurHash: "LEHV",
      },
      shown: "image",
    },
  ]);
});

test("Matrix -> Signal: a captioned file in an encrypted room keeps the caption as text", async () => {
  const file = {
    url: "mxc://hs/enc",
    key: { kty: "oct", key_ops: ["decrypt"], alg: "A256CTR", k: "abc", ext: true },
    iv: "iv",
    hashes: { sha256: "h" },
    v: "v2",
  };
  const result = message(
    await matrixEventToSignal(
      {
        type: "m.room.message",
        content: {
          msgtype: "m.file",
          body: "the *report*",
          format: "org.matrix.custom.html",
          formatted_body: "the <b>report</b>",
          filename: "report.pdf",
          file,
          "m.relates_to": { "m.in_reply_to": { event_id: "$signal-msg" } },
        },
      },
      ctx,
    ),
  );
  assert.deepEqual(result.attachments, [
    { source: { file }, pointer: { contentType: "application/octet-stream", fileName: "report.pdf" } },
  ]);
  assert.equal(result.dataMessage.body, "the report");
  assert.deepEqual(result.dataMessage.bodyRanges, [{ start: 4, length: 6, style: 1 }]);
  assert.equal(result.dataMessage.quote?.id, 1000);
});

test("Matrix -> Signal: a voice message is a Signal voice note and a GIF keeps its flag", async () => {
  const voice = message(
    await matrixEventToSignal(
      {
        type: "m.room.message",
        content: {
          msgtype: "m.audio",
          body: "Voice message",
          url: "mxc://hs/v",
          info: { mimetype: "audio/ogg", duration: 3000 },
          "org.matrix.msc3245.voice": {},
        },
      },
      ctx,
    ),
  );
  assert.equal(voice.attachments[0]?.pointer.flags, 1);
  const gif = message(
    await matrixEventToSignal(
      {
        type: "m.room.message",
        content: { msgtype: "m.image", body: "a.gif", url: "mxc://hs/g", info: { mimetype: "image/gif" } },
      },
      ctx,
    ),
  );
  assert.equal(gif.attachments[0]?.pointer.flags, 8);
});

test("Matrix -> Signal: a sticker is sent as an image", async () => {
  const result = message(
    await matrixEventToSignal(
      {
        type: "m.sticker",
        content: { body: "party", url: "mxc://hs/s", info: { mimetype: "image/webp", w: 256, h: 256 } },
      },
      ctx,
    ),
  );
  assert.deepEqual(result.attachments[0]?.pointer, {
    contentType: "image/webp",
    fileName: "party",
    width: 256,
    height: 256,
  });
  assert.equal(result.attachments[0]?.shown, "image", "the bridge converts what Signal does not show");
});

test("Matrix -> Signal: images and videos are marked as shown inline; files and audio are not", async () => {
  const shownFor = async (msgtype: string) =>
    message(
      await matrixEventToSignal(
        { type: "m.room.message", content: { msgtype, body: "x", url: "mxc://hs/x" } },
        ctx,
      ),
    ).attachments[0]?.shown;
  assert.equal(await shownFor("m.image"), "image");
  assert.equal(await shownFor("m.video"), "video");
  assert.equal(await shownFor("m.file"), undefined);
  assert.equal(await shownFor("m.audio"), undefined);
});

test("Matrix -> Signal: media without an mxc URL is refused with a reason", async () => {
  const result = await matrixEventToSignal(
    { type: "m.room.message", content: { msgtype: "m.image", body: "x", url: "https://evil.example/x.png" } },
    ctx,
  );
  assert.equal(result.kind, "ignored");
});

test("Matrix -> Signal: a location becomes text with a map link", async () => {
  const result = message(
    await matrixEventToSignal(
      {
        type: "m.room.message",
        content: { msgtype: "m.location", body: "Dam Square", geo_uri: "geo:52.3731,4.8926;u=20" },
      },
      ctx,
    ),
  );
  assert.deepEqual(result.dataMessage, { body: "Dam Square\nhttps://maps.google.com/maps?q=52.3731,4.8926" });
});

test("Matrix -> Signal: unknown message types and empty messages are ignored with a reason", async () => {
  assert.equal(
    (
      await matrixEventToSignal(
        { type: "m.room.message", content: { msgtype: "m.server_notice", body: "x" } },
        ctx,
      )
    ).kind,
    "ignored",
  );
  assert.equal(
    (
      await matrixEventToSignal(
        {
          type: "m.room.message",
          content: {
            msgtype: "m.text",
            body: "x",
            format: "org.matrix.custom.html",
            formatted_body: "<script>x</script>",
          },
        },
        ctx,
      )
    ).kind,
    "ignored",
  );
  assert.equal((await matrixEventToSignal({ type: "m.room.encrypted", content: {} }, ctx)).kind, "ignored");
});

const fallbackCases: { name: string; body: string; expected: ReturnType<typeof stripReplyFallback> }[] = [
  { name: "no fallback", body: "hello", expected: { body: "hello" } },
  {
    name: "fallback with sender",
    body: "> <@a:b> one\n> two\n\nreply",
    expected: { body: "reply", quotedText: "one\ntwo" },
  },
  { name: "emote fallback", body: "> * <@a:b> waves\n\nhi", expected: { body: "hi", quotedText: "waves" } },
  {
    name: "quote not followed by an empty line is text",
    body: "> quoted\nmore",
    expected: { body: "> quoted\nmore" },
  },
  {
    name: "multi-line reply",
    body: "> <@a:b> q\n\nline1\nline2",
    expected: { body: "line1\nline2", quotedText: "q" },
  },
];

for (const c of fallbackCases) {
  test(`reply fallback: ${c.name}`, () => {
    assert.deepEqual(stripReplyFallback(c.body), c.expected);
  });
}
