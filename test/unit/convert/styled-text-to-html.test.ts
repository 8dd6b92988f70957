import assert from "node:assert/strict";
import { test } from "node:test";
import { styledTextToHtml, type TextRange } from "../../../src/convert/index.js";
import { ALICE, BOB, ghostOf } from "./fake-context.js";

const names: Record<string, string> = { [ALICE]: "Alice", [BOB]: "Bob <the builder>" };
const target = (aci: string) => ({ userId: ghostOf(aci), displayName: names[aci] ?? aci });

const cases: { name: string; text: string; ranges: TextRange[]; html: string; body?: string }[] = [
  {
    name: "plain text is escaped",
    text: "<script>alert('x')</script> & co",
    ranges: [],
    html: "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co",
  },
  { name: "newlines become br", text: "a\nb", ranges: [], html: "a<br>b" },
  {
    name: "each style has its tag",
    text: "b i s m p",
    ranges: [
      { start: 0, length: 1, style: "bold" },
      { start: 2, length: 1, style: "italic" },
      { start: 4, length: 1, style: "strikethrough" },
      { start: 6, length: 1, style: "monospace" },
      { start: 8, length: 1, style: "spoiler" },
    ],
    html: "<strong>b</strong> <em>i</em> <del>s</del> <code>m</code> <span data-mx-spoiler>p</span>",
  },
  {
    name: "overlapping styles nest properly, the longer outside",
    text: "abcdef",
    ranges: [
      { start: 0, length: 4, style: "bold" },
      { start: 2, length: 4, style: "italic" },
    ],
    html: "<strong>ab<em>cd</em></strong><em>ef</em>",
  },
  {
    name: "styles over emoji keep surrogate pairs whole",
    text: "x😀y",
    ranges: [{ start: 2, length: 1, style: "bold" }],
    html: "x<strong>😀</strong>y",
  },
  {
    name: "mention becomes a pill with the escaped display name",
    text: "hi \uFFFC!",
    ranges: [{ start: 3, length: 1, mentionAci: BOB }],
    html: `hi <a href="https://matrix.to/#/${ghostOf(BOB)}">Bob &lt;the builder&gt;</a>!`,
    body: "hi Bob <the builder>!",
  },
  {
    name: "styled mention",
    text: "\uFFFC",
    ranges: [
      { start: 0, length: 1, mentionAci: ALICE },
      { start: 0, length: 1, style: "bold" },
    ],
    html: `<strong><a href="https://matrix.to/#/${ghostOf(ALICE)}">Alice</a></strong>`,
    body: "Alice",
  },
  {
    name: "ranges outside the text are clamped or dropped",
    text: "abc",
    ranges: [
      { start: 1, length: 100, style: "bold" },
      { start: 50, length: 2, style: "italic" },
      { start: -3, length: 4, style: "monospace" },
    ],
    html: "<code>a</code><strong>bc</strong>",
  },
];

for (const c of cases) {
  test(`Signal text -> Matrix HTML: ${c.name}`, () => {
    const result = styledTextToHtml({ text: c.text, ranges: c.ranges }, target);
    assert.equal(result.html, c.html);
    assert.equal(result.body, c.body ?? c.text);
  });
}

test("Signal text -> Matrix HTML: mentioned users are listed once for m.mentions", () => {
  const result = styledTextToHtml(
    {
      text: "\uFFFC \uFFFC \uFFFC",
      ranges: [
        { start: 0, length: 1, mentionAci: ALICE },
        { start: 2, length: 1, mentionAci: BOB },
        { start: 4, length: 1, mentionAci: ALICE },
      ],
    },
    target,
  );
  assert.deepEqual(result.mentionedUserIds, [ghostOf(ALICE), ghostOf(BOB)]);
});

test("Signal text -> Matrix HTML: thousands of hostile ranges give bounded, well-nested HTML", () => {
  const text = "x".repeat(10_000);
  const styles = ["bold", "italic", "strikethrough", "monospace", "spoiler"] as const;
  const ranges: TextRange[] = [];
  for (let i = 0; i < 20_000; i++) {
    const style = styles[i % styles.length] as (typeof styles)[number];
    // Nested, overlapping, disjoint, negative and out of bounds, in no order.
    ranges.push({ start: ((i * 7919) % 12_000) - 1000, length: ((i * 104_729) % 3000) - 500, style });
    ranges.push({ start: i * 2, length: 1, style });
  }
  ranges.push({ start: -5, length: 2, mentionAci: ALICE }, { start: 50_000, length: 1, mentionAci: BOB });
  const rendered = styledTextToHtml({ text, ranges }, target);
  assert.equal(rendered.body, text);
  const open: string[] = [];
  for (const [, close, tag] of rendered.html.matchAll(/<(\/?)(strong|em|del|code|span)\b[^>]*>/g)) {
    if (close) assert.equal(open.pop(), tag, "tags nest");
    else open.push(tag as string);
  }
  assert.deepEqual(open, []);
  // At most 250 ranges of a style are kept: the HTML is a bounded multiple of the text.
  assert.ok(rendered.html.length < 200_000, `${rendered.html.length} characters of HTML`);
  assert.deepEqual(rendered.mentionedUserIds, []);
});
