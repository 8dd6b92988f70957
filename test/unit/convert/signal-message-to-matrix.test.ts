import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MAX_MATRIX_TEXT_BYTES,
  mediaSlotsOf,
  signalEditToMatrix,
  signalMessageToMatrix,
  type MatrixAction,
  type MessageContent,
  type StickerContent,
} from "../../../src/convert/index.js";
import { ALICE, BOB, ROOM, ghostOf, signalContext } from "./fake-context.js";

const ALICE_BYTES = Uint8Array.from(ALICE.replace(/-/g, "").match(/../g) ?? [], (hex) => parseInt(hex, 16));
const bridgedBobMessage = {
  ref: { authorAci: BOB, sentTimestamp: 1000 },
  eventIds: ["$bob-image", "$bob-text"],
};

function onlyContent(actions: MatrixAction[]): MessageContent {
  assert.equal(actions.length, 1, JSON.stringify(actions));
  const action = actions[0];
  assert.ok(action?.kind === "send" && action.eventType === "m.room.message", JSON.stringify(action));
  return action.content;
}

test("Signal -> Matrix: formatted text with a mention becomes HTML, a pill and m.mentions", async () => {
  const content = onlyContent(
    await signalMessageToMatrix(
      {
        body: "hi \uFFFC, *this* is <b>",
        bodyRanges: [
          { start: 3, length: 1, mentionAciBinary: ALICE_BYTES },
          { start: 6, length: 6, style: 1 },
        ],
      },
      BOB,
      signalContext(),
    ),
  );
  assert.deepEqual(content, {
    msgtype: "m.text",
    body: "hi Alice, *this* is <b>",
    format: "org.matrix.custom.html",
    formatted_body: `hi <a href="https://matrix.to/#/${ghostOf(ALICE)}">Alice</a>, <strong>*this*</strong> is &lt;b&gt;`,
    "m.mentions": { user_ids: [ghostOf(ALICE)] },
  });
});

test("Signal -> Matrix: unformatted text is plain, with no accidental mentions", async () => {
  const content = onlyContent(
    await signalMessageToMatrix({ body: "<script>hi</script>" }, BOB, signalContext()),
  );
  assert.deepEqual(content, { msgtype: "m.text", body: "<script>hi</script>", "m.mentions": {} });
});

test("Signal -> Matrix: a quote of a bridged message is a reply with a fallback", async () => {
  const content = onlyContent(
    await signalMessageToMatrix(
      { body: "agreed", quote: { id: 1000, authorAci: BOB, text: "shall we <go>?" } },
      ALICE,
      signalContext({ bridged: [bridgedBobMessage] }),
    ),
  );
  assert.deepEqual(content["m.relates_to"], { "m.in_reply_to": { event_id: "$bob-image" } });
  assert.deepEqual(content["m.mentions"], { user_ids: [ghostOf(BOB)] });
  assert.equal(content.body, `> <${ghostOf(BOB)}> shall we <go>?\n\nagreed`);
  assert.equal(
    content.formatted_body,
    `<mx-reply><blockquote><a href="https://matrix.to/#/${ROOM}/$bob-image">In reply to</a> ` +
      `<a href="https://matrix.to/#/${ghostOf(BOB)}">${ghostOf(BOB)}</a><br>shall we &lt;go&gt;?</blockquote></mx-reply>agreed`,
  );
});

test("Signal -> Matrix: a quote of an unknown message is shown inline", async () => {
  const content = onlyContent(
    await signalMessageToMatrix(
      { body: "yes", quote: { id: 5, authorAci: BOB, text: "old" } },
      ALICE,
      signalContext(),
    ),
  );
  assert.equal(content["m.relates_to"], undefined);
  assert.equal(content.body, "> Bob <the builder>: old\n\nyes");
  assert.equal(
    content.formatted_body,
    "<blockquote><strong>Bob &lt;the builder&gt;</strong>: old</blockquote>yes",
  );
});

test("Signal -> Matrix: a reaction annotates the first part and replaces the reactor's earlier one", async () => {
  const actions = await signalMessageToMatrix(
    { reaction: { emoji: "👍", targetAuthorAci: BOB, targetSentTimestamp: 1000 } },
    ALICE,
    signalContext({ bridged: [bridgedBobMessage], reactions: { [`${ALICE}/${BOB}/1000`]: "$old-reaction" } }),
  );
  assert.deepEqual(actions, [
    { kind: "redact", eventId: "$old-reaction", reason: "Reaction removed on Signal" },
    {
      kind: "send",
      eventType: "m.reaction",
      content: { "m.relates_to": { rel_type: "m.annotation", event_id: "$bob-image", key: "👍" } },
    },
  ]);
});

test("Signal -> Matrix: removing a reaction redacts it", async () => {
  const actions = await signalMessageToMatrix(
    { reaction: { emoji: "👍", remove: true, targetAuthorAci: BOB, targetSentTimestamp: 1000 } },
    ALICE,
    signalContext({ bridged: [bridgedBobMessage], reactions: { [`${ALICE}/${BOB}/1000`]: "$old-reaction" } }),
  );
  assert.deepEqual(actions, [
    { kind: "redact", eventId: "$old-reaction", reason: "Reaction removed on Signal" },
  ]);
});

test("Signal -> Matrix: a remote delete redacts every part of the message", async () => {
  const actions = await signalMessageToMatrix(
    { delete: { targetSentTimestamp: 1000 } },
    BOB,
    signalContext({ bridged: [bridgedBobMessage] }),
  );
  assert.deepEqual(
    actions.map((a) => a.kind === "redact" && a.eventId),
    ["$bob-image", "$bob-text"],
  );
});

test("Signal -> Matrix: a delete by someone else's id does not touch the message", async () => {
  const actions = await signalMessageToMatrix(
    { delete: { targetSentTimestamp: 1000 } },
    ALICE,
    signalContext({ bridged: [bridgedBobMessage] }),
  );
  assert.deepEqual(actions, []);
});

test("Signal -> Matrix: an edit replaces the text part with m.new_content and a * fallback", async () => {
  const actions = await signalEditToMatrix(
    {
      targetSentTimestamp: 1000,
      dataMessage: { body: "fixed typo", bodyRanges: [{ start: 0, length: 5, style: 2 }] },
    },
    BOB,
    signalContext({ bridged: [bridgedBobMessage] }),
  );
  const content = onlyContent(actions);
  assert.deepEqual(content, {
    msgtype: "m.text",
    body: "* fixed typo",
    format: "org.matrix.custom.html",
    formatted_body: "* <em>fixed</em> typo",
    "m.mentions": {},
    "m.relates_to": { rel_type: "m.replace", event_id: "$bob-text" },
    "m.new_content": {
      msgtype: "m.text",
      body: "fixed typo",
      format: "org.matrix.custom.html",
      formatted_body: "<em>fixed</em> typo",
      "m.mentions": {},
    },
  });
});

test("Signal -> Matrix: an edit of a message never bridged arrives as a new message", async () => {
  const content = onlyContent(
    await signalEditToMatrix({ targetSentTimestamp: 9, dataMessage: { body: "v2" } }, BOB, signalContext()),
  );
  assert.equal(content.body, "v2");
  assert.equal(content["m.relates_to"], undefined);
});

const image = {
  contentType: "image/jpeg",
  size: 2048,
  width: 640,
  height: 480,
  blurHash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
  fileName: "cat.jpg",
};

test("Signal -> Matrix: attachments come first with full info, then the text", async () => {
  const message = {
    body: "look",
    attachments: [image, { contentType: "application/pdf", fileName: "a.pdf", size: 9 }],
  };
  assert.deepEqual(
    mediaSlotsOf(message).map((s) => s.slot),
    ["attachment:0", "attachment:1"],
  );
  const actions = await signalMessageToMatrix(
    message,
    BOB,
    signalContext({
      media: {
        "attachment:0": {
          url: "mxc://hs/cat",
          thumbnail: { url: "mxc://hs/thumb", info: { w: 64, h: 48, mimetype: "image/jpeg" } },
        },
        "attachment:1": { url: "mxc://hs/pdf" },
      },
    }),
  );
  assert.deepEqual(
    actions.map((a) => a.kind === "send" && "part" in a && [a.part, (a.content as MessageContent).msgtype]),
    [
      [0, "m.image"],
      [1, "m.file"],
      [2, "m.text"],
    ],
  );
  assert.deepEqual((actions[0] as { content: MessageContent }).content, {
    msgtype: "m.image",
    body: "cat.jpg",
    url: "mxc://hs/cat",
    info: {
      mimetype: "image/jpeg",
      size: 2048,
      w: 640,
      h: 480,
      "xyz.amorgan.blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
      thumbnail_url: "mxc://hs/thumb",
      thumbnail_info: { w: 64, h: 48, mimetype: "image/jpeg" },
    },
  });
});

test("Signal -> Matrix: an attachment caption is the body, with the file name in filename", async () => {
  const content = onlyContent(
    await signalMessageToMatrix(
      { attachments: [{ ...image, caption: "my cat" }] },
      BOB,
      signalContext({ media: { "attachment:0": { url: "mxc://hs/cat" } } }),
    ),
  );
  assert.equal(content.body, "my cat");
  assert.equal(content.filename, "cat.jpg");
});

test("Signal -> Matrix: a voice note is an MSC3245 voice message with duration", async () => {
  const encrypted = {
    url: "mxc://hs/voice",
    key: {
      kty: "oct" as const,
      key_ops: ["encrypt", "decrypt"],
      alg: "A256CTR" as const,
      k: "k",
      ext: true as const,
    },
    iv: "iv",
    hashes: { sha256: "h" },
    v: "v2" as const,
  };
  const content = onlyContent(
    await signalMessageToMatrix(
      { attachments: [{ contentType: "audio/aac", size: 300, flags: 1 }] },
      BOB,
      signalContext({
        media: { "attachment:0": { file: encrypted, durationMs: 4200, waveform: [0, 512, 1024] } },
      }),
    ),
  );
  assert.equal(content.msgtype, "m.audio");
  assert.equal(content.body, "Voice message");
  assert.deepEqual(content.file, encrypted);
  assert.equal(content.url, undefined);
  assert.deepEqual(content.info, { mimetype: "audio/aac", size: 300, duration: 4200 });
  assert.deepEqual(content["org.matrix.msc3245.voice"], {});
  assert.deepEqual(content["org.matrix.msc1767.audio"], { duration: 4200, waveform: [0, 512, 1024] });
});

test("Signal -> Matrix: video, audio and GIF attachments", async () => {
  const media = {
    "attachment:0": { url: "mxc://hs/0" },
    "attachment:1": { url: "mxc://hs/1" },
    "attachment:2": { url: "mxc://hs/2" },
  };
  const actions = await signalMessageToMatrix(
    {
      attachments: [
        { contentType: "video/mp4" },
        { contentType: "audio/mpeg", fileName: "song.mp3" },
        { contentType: "video/mp4", flags: 8 },
      ],
    },
    BOB,
    signalContext({ media }),
  );
  const contents = actions.map((a) => (a as { content: MessageContent }).content);
  assert.deepEqual(
    contents.map((c) => [c.msgtype, c.body]),
    [
      ["m.video", "video"],
      ["m.audio", "song.mp3"],
      ["m.video", "video"],
    ],
  );
  assert.equal(contents[1]?.["org.matrix.msc3245.voice"], undefined);
  assert.equal(contents[2]?.info?.["fi.mau.gif"], true);
  assert.equal(contents[2]?.info?.["fi.mau.loop"], true);
});

test("Signal -> Matrix: view-once media says so", async () => {
  const content = onlyContent(
    await signalMessageToMatrix(
      { isViewOnce: true, attachments: [image] },
      BOB,
      signalContext({ media: { "attachment:0": { url: "mxc://hs/cat" } } }),
    ),
  );
  assert.equal(content.body, "View-once image");
  assert.equal(content.filename, "cat.jpg");
});

test("Signal -> Matrix: an attachment the bridge could not fetch becomes a visible notice", async () => {
  const content = onlyContent(await signalMessageToMatrix({ attachments: [image] }, BOB, signalContext()));
  assert.equal(content.msgtype, "m.notice");
  assert.match(content.body, /cat\.jpg.*could not be bridged/);
});

test("Signal -> Matrix: a sticker is an m.sticker with its emoji", async () => {
  const message = {
    sticker: {
      emoji: "🐱",
      stickerId: 3,
      data: { contentType: "image/webp", width: 512, height: 512, size: 10 },
    },
  };
  assert.deepEqual(
    mediaSlotsOf(message).map((s) => s.slot),
    ["sticker"],
  );
  const actions = await signalMessageToMatrix(
    message,
    BOB,
    signalContext({ media: { sticker: { url: "mxc://hs/st" } } }),
  );
  assert.equal(actions.length, 1);
  const action = actions[0];
  assert.ok(action?.kind === "send" && action.eventType === "m.sticker");
  assert.deepEqual(action.content as StickerContent, {
    body: "🐱",
    url: "mxc://hs/st",
    info: { mimetype: "image/webp", size: 10, w: 512, h: 512 },
  });
});

test("Signal -> Matrix: a contact card is readable text", async () => {
  const content = onlyContent(
    await signalMessageToMatrix(
      {
        contact: [
          {
            name: { givenName: "Ada", familyName: "Lovelace" },
            number: [{ value: "+44 20 0000", type: 2 }],
            email: [{ value: "ada@example.org", type: 4, label: "lab" }],
            address: [{ type: 1, street: "1 Analytical St", city: "London" }],
            organization: "Engines Ltd",
          },
        ],
      },
      BOB,
      signalContext(),
    ),
  );
  assert.equal(
    content.body,
    "Contact: Ada Lovelace\nOrganization: Engines Ltd\nPhone (mobile): +44 20 0000\nEmail (lab): ada@example.org\nAddress (home): 1 Analytical St, London",
  );
});

test("Signal -> Matrix: a shared location becomes m.location with a geo: URI", async () => {
  const body = "Rijksmuseum\nMuseumstraat 1, Amsterdam\nhttps://maps.google.com/maps?q=52.36%2C4.885";
  const content = onlyContent(await signalMessageToMatrix({ body }, BOB, signalContext()));
  assert.deepEqual(content, { msgtype: "m.location", body, geo_uri: "geo:52.36,4.885", "m.mentions": {} });
});

test("Signal -> Matrix: link previews are attached to the text", async () => {
  const message = {
    body: "see https://signal.org",
    preview: [
      {
        url: "https://signal.org",
        title: "Signal",
        description: "Speak freely",
        image: { contentType: "image/png", width: 10, height: 5, size: 99 },
      },
    ],
  };
  assert.deepEqual(
    mediaSlotsOf(message).map((s) => s.slot),
    ["preview:0"],
  );
  const content = onlyContent(
    await signalMessageToMatrix(
      message,
      BOB,
      signalContext({ media: { "preview:0": { url: "mxc://hs/og" } } }),
    ),
  );
  assert.deepEqual(content["com.beeper.linkpreviews"], [
    {
      matched_url: "https://signal.org",
      "og:url": "https://signal.org",
      "og:title": "Signal",
      "og:description": "Speak freely",
      "og:image": "mxc://hs/og",
      "og:image:type": "image/png",
      "og:image:width": 10,
      "og:image:height": 5,
      "matrix:image:size": 99,
    },
  ]);
});

const noticeCases: { name: string; message: Parameters<typeof signalMessageToMatrix>[0]; body: RegExp }[] = [
  {
    name: "timer set",
    message: { flags: 2, expireTimer: 604800 },
    body: /^Set disappearing messages to 1 week$/,
  },
  { name: "timer off", message: { flags: 2, expireTimer: 0 }, body: /^Turned off disappearing messages$/ },
  { name: "timer odd duration", message: { flags: 2, expireTimer: 93784 }, body: /1 day 2 hours$/ },
  { name: "session reset", message: { flags: 1 }, body: /Reset the secure session/ },
  { name: "group call", message: { groupCallUpdate: { eraId: "x" } }, body: /Started a group call/ },
  {
    name: "payment",
    message: { payment: { notification: { note: "for pizza" } } },
    body: /payment: "for pizza"/,
  },
  {
    name: "payment activation request",
    message: { payment: { activation: { type: 0 } } },
    body: /activate payments/,
  },
  { name: "gift badge", message: { giftBadge: {} }, body: /gift badge/ },
  {
    name: "poll vote",
    message: { pollVote: { optionIndexes: [0, 2], targetSentTimestamp: 1 } },
    body: /option 1, 3/,
  },
  { name: "poll end", message: { pollTerminate: { targetSentTimestamp: 1 } }, body: /Ended the poll/ },
  {
    name: "pin",
    message: { pinMessage: { targetSentTimestamp: 1000, pinDurationSeconds: 86400 } },
    body: /Pinned a message for 1 day/,
  },
  { name: "unpin", message: { unpinMessage: { targetSentTimestamp: 1000 } }, body: /Unpinned a message/ },
  {
    name: "unsupported future message",
    message: { requiredProtocolVersion: 99, body: "?" },
    body: /cannot show yet/,
  },
];

for (const c of noticeCases) {
  test(`Signal -> Matrix notice: ${c.name}`, async () => {
    const content = onlyContent(await signalMessageToMatrix(c.message, BOB, signalContext()));
    assert.equal(content.msgtype, "m.notice");
    assert.match(content.body, c.body);
  });
}

test("Signal -> Matrix: a pin notice replies to the pinned message", async () => {
  const content = onlyContent(
    await signalMessageToMatrix(
      {
        pinMessage: { targetAuthorAciBinary: ALICE_BYTES, targetSentTimestamp: 7, pinDurationForever: true },
      },
      BOB,
      signalContext({ bridged: [{ ref: { authorAci: ALICE, sentTimestamp: 7 }, eventIds: ["$pinned"] }] }),
    ),
  );
  assert.deepEqual(content["m.relates_to"], { "m.in_reply_to": { event_id: "$pinned" } });
});

test("Signal -> Matrix: a poll is an MSC3381 poll with the option indexes as answer ids and a text fallback", async () => {
  const actions = await signalMessageToMatrix(
    { pollCreate: { question: "Lunch?", options: ["Pizza", "Soup"], allowMultiple: true } },
    BOB,
    signalContext(),
  );
  assert.equal(actions.length, 1);
  const action = actions[0];
  assert.ok(action?.kind === "send" && action.eventType === "org.matrix.msc3381.poll.start");
  assert.equal(action.part, 0);
  assert.deepEqual(action.content["org.matrix.msc3381.poll.start"], {
    question: { "org.matrix.msc1767.text": "Lunch?" },
    kind: "org.matrix.msc3381.poll.disclosed",
    max_selections: 2,
    answers: [
      { id: "0", "org.matrix.msc1767.text": "Pizza" },
      { id: "1", "org.matrix.msc1767.text": "Soup" },
    ],
  });
  const fallback = "Poll: Lunch?\n1. Pizza\n2. Soup\n(several answers allowed)";
  assert.equal(action.content.body, fallback);
  assert.equal(action.content["org.matrix.msc1767.text"], fallback);
});

test("Signal -> Matrix: a single-answer poll allows one selection", async () => {
  const [action] = await signalMessageToMatrix(
    { pollCreate: { question: "Q", options: ["a", "b", "c"], allowMultiple: false } },
    BOB,
    signalContext(),
  );
  assert.ok(action?.kind === "send" && action.eventType === "org.matrix.msc3381.poll.start");
  assert.equal(action.content["org.matrix.msc3381.poll.start"].max_selections, 1);
});

const bridgedPoll = { ref: { authorAci: ALICE, sentTimestamp: 7 }, eventIds: ["$poll"] };

test("Signal -> Matrix: a vote is the voter's MSC3381 response to the poll", async () => {
  const [action] = await signalMessageToMatrix(
    {
      pollVote: {
        targetAuthorAciBinary: ALICE_BYTES,
        targetSentTimestamp: 7,
        optionIndexes: [2, 0, 2],
        voteCount: 1,
      },
    },
    BOB,
    signalContext({ bridged: [bridgedPoll] }),
  );
  assert.deepEqual(action, {
    kind: "send",
    eventType: "org.matrix.msc3381.poll.response",
    content: {
      "org.matrix.msc3381.poll.response": { answers: ["2", "0"] },
      "m.relates_to": { rel_type: "m.reference", event_id: "$poll" },
    },
    part: 0,
  });
});

test("Signal -> Matrix: a withdrawn vote is a response without answers", async () => {
  const [action] = await signalMessageToMatrix(
    { pollVote: { targetAuthorAciBinary: ALICE_BYTES, targetSentTimestamp: 7, optionIndexes: [] } },
    BOB,
    signalContext({ bridged: [bridgedPoll] }),
  );
  assert.ok(action?.kind === "send" && action.eventType === "org.matrix.msc3381.poll.response");
  assert.deepEqual(action.content["org.matrix.msc3381.poll.response"].answers, []);
});

test("Signal -> Matrix: ending a bridged poll is an MSC3381 end with a text fallback", async () => {
  const [action] = await signalMessageToMatrix(
    { pollTerminate: { targetSentTimestamp: 7 } },
    ALICE,
    signalContext({ bridged: [bridgedPoll] }),
  );
  assert.ok(action?.kind === "send" && action.eventType === "org.matrix.msc3381.poll.end");
  assert.deepEqual(action.content["m.relates_to"], { rel_type: "m.reference", event_id: "$poll" });
  assert.equal(action.content.body, "Ended the poll");
});

test("Signal -> Matrix: a story reply says whose story it answers", async () => {
  const content = onlyContent(
    await signalMessageToMatrix(
      { body: "nice!", storyContext: { authorAci: ALICE, sentTimestamp: 3 } },
      BOB,
      signalContext(),
    ),
  );
  assert.equal(content.body, "> Replied to Alice's story\n\nnice!");
});

test("Signal -> Matrix: a message with nothing to show (profile key update) sends nothing", async () => {
  assert.deepEqual(
    await signalMessageToMatrix({ flags: 4, profileKey: new Uint8Array(32) }, BOB, signalContext()),
    [],
  );
});

// Hostile or just long Signal messages: the Matrix event stays under the homeserver's size limit.

/** What the text of an event takes in its JSON. */
const textSize = (content: MessageContent): number =>
  Buffer.byteLength(JSON.stringify([content.body, content.formatted_body ?? ""]));

test("Signal -> Matrix: a formatted 10 KB text arrives whole, with its formatting", async () => {
  const body = "ten kilobytes of words ".repeat(450);
  const content = onlyContent(
    await signalMessageToMatrix(
      { body, bodyRanges: [{ start: 0, length: 3, style: 1 }] },
      BOB,
      signalContext(),
    ),
  );
  assert.equal(content.body, body);
  assert.ok(content.formatted_body?.startsWith("<strong>ten</strong>"));
});

test("Signal -> Matrix: text too long for Matrix with formatting keeps its text and drops the HTML", async () => {
  const body = "x".repeat(30 * 1024);
  const content = onlyContent(
    await signalMessageToMatrix(
      { body, bodyRanges: [{ start: 0, length: 5, style: 2 }] },
      BOB,
      signalContext(),
    ),
  );
  assert.equal(content.body, body);
  assert.equal(content.formatted_body, undefined);
  assert.equal(content.format, undefined);
});

test("Signal -> Matrix: a 1 MB body with thousands of ranges is cut to fit, with a note", async () => {
  const body = 'a "quoted" line\n'.repeat(65_000);
  const bodyRanges = Array.from({ length: 5000 }, (_, i) => ({
    start: i * 13 - 100,
    length: i % 40,
    style: 1 + (i % 5),
  }));
  const content = onlyContent(await signalMessageToMatrix({ body, bodyRanges }, BOB, signalContext()));
  assert.ok(textSize(content) <= MAX_MATRIX_TEXT_BYTES + 8, `${textSize(content)} bytes`);
  assert.ok(content.body.startsWith('a "quoted" line\na "quoted"'));
  assert.match(content.body, /… \[The rest is too long for Matrix\. Read it in a Signal app\.\]$/);
});

test("Signal -> Matrix: an edit to a long text has a short fallback", async () => {
  const body = "edited ".repeat(3000);
  const actions = await signalEditToMatrix(
    { targetSentTimestamp: 1000, dataMessage: { body, bodyRanges: [{ start: 0, length: 6, style: 1 }] } },
    BOB,
    signalContext({ bridged: [bridgedBobMessage] }),
  );
  const content = onlyContent(actions);
  assert.equal(content["m.new_content"]?.body, body);
  assert.ok(content.body.length < 3000 && content.body.startsWith("* edited"));
  assert.equal(content.formatted_body, undefined);
});

test("Signal -> Matrix: a huge quote and many link previews stay small", async () => {
  const message = {
    body: "answer",
    quote: { id: 1000, authorAci: BOB, text: "<q>".repeat(50_000) },
    preview: Array.from({ length: 100 }, (_, i) => ({
      url: `https://example.org/${i}`,
      title: "t".repeat(100_000),
      image: { contentType: "image/png" },
    })),
  };
  assert.deepEqual(
    mediaSlotsOf(message).map((s) => s.slot),
    ["preview:0"],
  );
  const content = onlyContent(
    await signalMessageToMatrix(message, ALICE, signalContext({ bridged: [bridgedBobMessage] })),
  );
  assert.ok(Buffer.byteLength(JSON.stringify(content)) < 16 * 1024, `${JSON.stringify(content).length}`);
  assert.equal(content["com.beeper.linkpreviews"]?.length, 1);
});

test("Signal -> Matrix: a vote on a Matrix poll names the Matrix answer ids", async () => {
  const [action] = await signalMessageToMatrix(
    { pollVote: { targetAuthorAciBinary: ALICE_BYTES, targetSentTimestamp: 7, optionIndexes: [1, 5] } },
    BOB,
    {
      ...signalContext({ bridged: [{ ref: { authorAci: ALICE, sentTimestamp: 7 }, eventIds: ["$poll"] }] }),
      pollAnswersOf: async (eventId) => (eventId === "$poll" ? ["mon", "tue"] : undefined),
    },
  );
  assert.ok(action?.kind === "send" && action.eventType === "org.matrix.msc3381.poll.response");
  assert.deepEqual(action.content["org.matrix.msc3381.poll.response"].answers, ["tue"]);
});
