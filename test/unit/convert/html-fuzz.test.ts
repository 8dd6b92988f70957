// Random and hostile HTML: converting it never throws and always yields valid Signal text.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  htmlToStyledText,
  matrixEventToSignal,
  MENTION_PLACEHOLDER,
  type StyledText,
} from "../../../src/convert/index.js";
import { ALICE, aciOfGhost, matrixContext } from "./fake-context.js";

const TAGS = [
  "b",
  "strong",
  "i",
  "em",
  "s",
  "del",
  "strike",
  "code",
  "pre",
  "span",
  "p",
  "div",
  "br",
  "hr",
  "img",
  "a",
  "ul",
  "ol",
  "li",
  "blockquote",
  "h1",
  "h3",
  "table",
  "tr",
  "td",
  "th",
  "mx-reply",
  "script",
  "style",
  "font",
  "sup",
  "details",
  "summary",
  "svg",
  "x-unknown",
  "template",
  "textarea",
  "title",
];

const ATTRIBUTES = [
  "",
  " data-mx-spoiler",
  ' data-mx-spoiler="reason"',
  ` href="https://matrix.to/#/@signal_${ALICE}:example.org"`,
  ' href="https://matrix.to/#/@carol:example.org"',
  ' href="https://example.org/?a=1&amp;b=2"',
  ' href="javascript:alert(1)"',
  ' href="matrix:u/carol:example.org"',
  ' start="-5"',
  ' start="99999999999999999999"',
  ' alt="😀"',
  ' src="mxc://x/y" alt',
  ' class="language-js"',
  ' onclick="evil()"',
];

const token = fc.oneof(
  fc
    .tuple(fc.constantFrom(...TAGS), fc.constantFrom(...ATTRIBUTES))
    .map(([tag, attribute]) => `<${tag}${attribute}>`),
  fc.constantFrom(...TAGS).map((tag) => `</${tag}>`),
  fc.constantFrom(
    "text",
    " ",
    "\n",
    "😀",
    "e\u0301",
    "\uD83D",
    "\uDE00",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#xD800;",
    "&bogus;",
    "\uFFFC",
  ),
  fc.constantFrom(
    "<",
    "</",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<!DOCTYPE html>",
    "<?xml?>",
    "<a",
    '"',
    "=",
    "/>",
  ),
  fc.string({ maxLength: 8 }),
);

const randomHtml = fc.array(token, { maxLength: 60 }).map((tokens) => tokens.join(""));

function assertValid(styled: StyledText): void {
  for (const range of styled.ranges) {
    assert.ok(range.length > 0, "empty range");
    assert.ok(range.start >= 0 && range.start + range.length <= styled.text.length, "range outside the text");
    const before = styled.text.charCodeAt(range.start - 1);
    const first = styled.text.charCodeAt(range.start);
    assert.ok(
      !(before >= 0xd800 && before <= 0xdbff && first >= 0xdc00 && first <= 0xdfff),
      "range splits a pair",
    );
    if ("mentionAci" in range) {
      assert.equal(styled.text.slice(range.start, range.start + range.length), MENTION_PLACEHOLDER);
      assert.equal(range.mentionAci, ALICE);
    }
  }
}

test("property: random HTML converts without throwing to valid text and ranges", () => {
  fc.assert(
    fc.property(randomHtml, (html) => {
      assertValid(htmlToStyledText(html, aciOfGhost));
    }),
    { numRuns: 2000 },
  );
});

test("property: random HTML in a Matrix message gives a valid Signal message or a reason", async () => {
  await fc.assert(
    fc.asyncProperty(randomHtml, fc.string({ maxLength: 20 }), async (html, body) => {
      const result = await matrixEventToSignal(
        {
          type: "m.room.message",
          content: { msgtype: "m.text", body, format: "org.matrix.custom.html", formatted_body: html },
        },
        matrixContext(),
      );
      if (result.kind === "ignored") {
        assert.equal(result.reason, "The message is empty");
        return;
      }
      assert.equal(result.kind, "message");
    }),
    { numRuns: 500 },
  );
});

test("property: script and style content never reaches Signal", () => {
  // Inside a <textarea> the rest is its text (as in a browser), so "<script>" there is not a script.
  const outsideTextarea = randomHtml.filter((html) => !html.includes("<textarea"));
  fc.assert(
    fc.property(
      outsideTextarea,
      outsideTextarea,
      fc.constantFrom("script", "style", "mx-reply"),
      (a, b, hidden) => {
        const styled = htmlToStyledText(
          `<div>${a}</div><${hidden}>SECRET-PAYLOAD</${hidden}>${b}`,
          aciOfGhost,
        );
        assert.ok(!styled.text.includes("SECRET-PAYLOAD"), styled.text);
      },
    ),
    { numRuns: 500 },
  );
});

test("Matrix HTML -> Signal text: untrusted content fields never throw", async () => {
  const hostile: Record<string, unknown>[] = [
    { msgtype: "m.text", body: 42, format: "org.matrix.custom.html", formatted_body: { no: 1 } },
    { msgtype: "m.text", body: null },
    { msgtype: "m.image", url: "https://not-mxc", body: "x" },
    { msgtype: "m.location", geo_uri: "geo:999,999", body: "x" },
    { msgtype: ["m.text"] },
    { msgtype: "m.text", body: "hi", "m.relates_to": "nonsense" },
    {
      msgtype: "m.text",
      body: "hi",
      "m.relates_to": { rel_type: "m.replace", event_id: 5, "m.new_content": [] },
    },
  ];
  for (const content of hostile) {
    await assert.doesNotReject(() =>
      matrixEventToSignal({ type: "m.room.message", content }, matrixContext()),
    );
  }
});
