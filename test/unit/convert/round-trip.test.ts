// Signal -> Matrix -> Signal must give back the same text and (normalised) ranges, for fixed
// examples and for random styled text with emoji, surrogate pairs and combining marks.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Parser } from "htmlparser2";
import type { signalservice } from "../../../src/proto/generated/signal.js";
import {
  fromBodyRanges,
  matrixEventToSignal,
  normalizeRanges,
  signalMessageToMatrix,
  type MessageContent,
  type TextRange,
} from "../../../src/convert/index.js";
import { ALICE, BOB, matrixContext, signalContext } from "./fake-context.js";

const STYLE_NUMBERS = { bold: 1, italic: 2, spoiler: 3, strikethrough: 4, monospace: 5 } as const;

function toWire(ranges: readonly TextRange[]): signalservice.IBodyRange[] {
  return ranges.map((r) =>
    "mentionAci" in r
      ? { start: r.start, length: r.length, mentionAci: r.mentionAci }
      : { start: r.start, length: r.length, style: STYLE_NUMBERS[r.style] },
  );
}

/** Sends Signal text to Matrix and back; returns the Matrix content and what came back. */
async function roundTrip(text: string, ranges: readonly TextRange[]) {
  const actions = await signalMessageToMatrix(
    { body: text, bodyRanges: toWire(ranges) },
    ALICE,
    signalContext(),
  );
  assert.equal(actions.length, 1);
  const action = actions[0];
  assert.ok(action?.kind === "send" && action.eventType === "m.room.message");
  const content = action.content as MessageContent;
  const back = await matrixEventToSignal(
    { type: "m.room.message", content: { ...content } },
    matrixContext(),
  );
  assert.equal(back.kind, "message");
  if (back.kind !== "message") throw new Error("unreachable");
  return { content, back: fromBodyRanges(back.dataMessage.body ?? "", back.dataMessage.bodyRanges) };
}

const examples: { name: string; text: string; ranges: TextRange[] }[] = [
  { name: "plain", text: "just text", ranges: [] },
  {
    name: "markup-like text",
    text: "<b>not bold</b> &amp; <script>x</script>",
    ranges: [{ start: 0, length: 3, style: "italic" }],
  },
  {
    name: "overlapping styles",
    text: "one two three",
    ranges: [
      { start: 0, length: 7, style: "bold" },
      { start: 4, length: 9, style: "italic" },
      { start: 2, length: 3, style: "spoiler" },
    ],
  },
  {
    name: "mentions among styles",
    text: "hey \uFFFC and \uFFFC!",
    ranges: [
      { start: 4, length: 1, mentionAci: ALICE },
      { start: 10, length: 1, mentionAci: BOB },
      { start: 0, length: 11, style: "strikethrough" },
    ],
  },
  {
    name: "emoji, combining marks and newlines",
    text: "👩‍👩‍👧 e\u0301\u0308 🇳🇱\n\n  indented\nlast",
    ranges: [
      { start: 0, length: 8, style: "monospace" },
      { start: 9, length: 3, style: "bold" },
      { start: 13, length: 6, style: "italic" },
    ],
  },
];

for (const example of examples) {
  test(`round trip Signal -> Matrix -> Signal: ${example.name}`, async () => {
    const { back } = await roundTrip(example.text, example.ranges);
    assert.equal(back.text, example.text);
    assert.deepEqual(back.ranges, normalizeRanges(example.text, example.ranges));
  });
}

const PIECES = [
  "a",
  "Z",
  "0",
  " ",
  "  ",
  "\n",
  "<",
  ">",
  "&",
  "'",
  '"',
  "&amp;",
  "😀",
  "👍🏽",
  "é",
  "e\u0301",
  "\u0308",
  "漢字",
  "\u200d",
  "\t",
  "/",
  "*",
  "_",
  "~",
  "`",
  "> ",
];

const styledText = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.constantFrom({ mention: ALICE }, { mention: BOB })), {
    minLength: 1,
    maxLength: 40,
  })
  .chain((pieces) => {
    let text = "";
    const mentions: TextRange[] = [];
    for (const piece of pieces) {
      if (typeof piece === "string") {
        text += piece;
      } else {
        mentions.push({ start: text.length, length: 1, mentionAci: piece.mention });
        text += "\uFFFC";
      }
    }
    const style = fc.record({
      start: fc.integer({ min: 0, max: text.length }),
      length: fc.integer({ min: 0, max: text.length }),
      style: fc.constantFrom("bold", "italic", "strikethrough", "monospace", "spoiler" as const),
    });
    return fc
      .array(style, { maxLength: 8 })
      .map((styles) => ({ text, ranges: [...mentions, ...styles] as TextRange[] }));
  })
  .filter(({ text }) => text.trim() !== "");

test("property: random styled text survives Signal -> Matrix -> Signal", async () => {
  await fc.assert(
    fc.asyncProperty(styledText, async ({ text, ranges }) => {
      const { back } = await roundTrip(text, ranges);
      assert.equal(back.text, text);
      assert.deepEqual(back.ranges, normalizeRanges(text, ranges));
    }),
    { numRuns: 500 },
  );
});

const ALLOWED_TAGS = new Set(["strong", "em", "del", "code", "span", "a", "br"]);

test("property: Signal text never produces HTML elements of its own", async () => {
  await fc.assert(
    fc.asyncProperty(
      styledText,
      fc.string({ unit: "grapheme-ascii", maxLength: 30 }),
      async ({ text, ranges }, noise) => {
        const { content } = await roundTrip(noise + text, ranges);
        if (content.formatted_body === undefined) return;
        const tags: string[] = [];
        const parser = new Parser({ onopentag: (name) => tags.push(name) });
        parser.write(content.formatted_body);
        parser.end();
        for (const tag of tags)
          assert.ok(ALLOWED_TAGS.has(tag), `unexpected <${tag}> in ${content.formatted_body}`);
      },
    ),
    { numRuns: 300 },
  );
});
