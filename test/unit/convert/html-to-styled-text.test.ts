import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CUT_MARK,
  htmlToStyledText,
  MAX_NESTING_DEPTH,
  MAX_RANGES_PER_KIND,
  MAX_TEXT_BYTES,
  utf8Length,
  type TextRange,
} from "../../../src/convert/index.js";
import { ALICE, aciOfGhost } from "./fake-context.js";

const cases: { name: string; html: string; text: string; ranges?: TextRange[] }[] = [
  { name: "plain text", html: "hello", text: "hello" },
  { name: "entities are decoded", html: "a &lt;b&gt; &amp; &quot;c&quot; &#128512;", text: 'a <b> & "c" 😀' },
  {
    name: "bold and italic",
    html: "<b>bold</b> <em>it</em> <strong>x</strong><i>y</i>",
    text: "bold it xy",
    ranges: [
      { start: 0, length: 4, style: "bold" },
      { start: 5, length: 2, style: "italic" },
      { start: 8, length: 1, style: "bold" },
      { start: 9, length: 1, style: "italic" },
    ],
  },
  {
    name: "strikethrough, monospace and spoiler",
    html: '<del>a</del><s>b</s><strike>c</strike> <code>d</code> <span data-mx-spoiler="why">e</span>',
    text: "abc d e",
    ranges: [
      { start: 0, length: 3, style: "strikethrough" },
      { start: 4, length: 1, style: "monospace" },
      { start: 6, length: 1, style: "spoiler" },
    ],
  },
  {
    name: "nested styles",
    html: "<b>a<i>b<del>c</del></i></b>",
    text: "abc",
    ranges: [
      { start: 0, length: 3, style: "bold" },
      { start: 1, length: 2, style: "italic" },
      { start: 2, length: 1, style: "strikethrough" },
    ],
  },
  {
    name: "misnested tags are read like a browser does",
    html: "<b>ab<i>cd</b>ef</i>",
    text: "abcdef",
    ranges: [
      { start: 0, length: 4, style: "bold" },
      { start: 2, length: 2, style: "italic" },
    ],
  },
  {
    name: "offsets count UTF-16 code units",
    html: "😀 <b>é👍🏽</b>",
    text: "😀 é👍🏽",
    ranges: [{ start: 3, length: 5, style: "bold" }],
  },
  { name: "br is a line break", html: "a<br>b<br/>c", text: "a\nb\nc" },
  { name: "source newlines are not text", html: "a\nb", text: "ab" },
  { name: "paragraphs are separated by an empty line", html: "<p>one</p>\n<p>two</p>", text: "one\n\ntwo" },
  {
    name: "headings are bold lines",
    html: "<h1>Title</h1><p>x</p>",
    text: "Title\n\nx",
    ranges: [{ start: 0, length: 5, style: "bold" }],
  },
  { name: "unordered list", html: "<ul>\n  <li>one</li>\n  <li>two</li>\n</ul>", text: "• one\n• two" },
  { name: "ordered list with start", html: '<ol start="3"><li>c</li><li>d</li></ol>', text: "3. c\n4. d" },
  {
    name: "nested list is indented",
    html: "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>",
    text: "• a\n  • b\n• c",
  },
  {
    name: "blockquote lines are prefixed",
    html: "<blockquote>q1<br>q2</blockquote>after",
    text: "> q1\n> q2\nafter",
  },
  {
    name: "code block keeps whitespace and drops its final newline",
    html: '<pre><code class="language-js">if (x) {\n  y();\n}\n</code></pre><p>done</p>',
    text: "if (x) {\n  y();\n}\n\ndone",
    ranges: [{ start: 0, length: 17, style: "monospace" }],
  },
  {
    name: "link with a label keeps the URL",
    html: '<a href="https://example.org/a">site</a>',
    text: "site (https://example.org/a)",
  },
  {
    name: "link showing its own URL is not repeated",
    html: '<a href="https://example.org/">https://example.org/</a>',
    text: "https://example.org/",
  },
  {
    name: "link without a label is its URL",
    html: '<a href="https://example.org"></a>',
    text: "https://example.org",
  },
  { name: "javascript links are only text", html: '<a href="javascript:alert(1)">click</a>', text: "click" },
  {
    name: "pill for a Signal user is a mention",
    html: `hi <a href="https://matrix.to/#/@signal_${ALICE}:example.org">Alice</a>!`,
    text: "hi \uFFFC!",
    ranges: [{ start: 3, length: 1, mentionAci: ALICE }],
  },
  {
    name: "URL-encoded pill is a mention",
    html: `<a href="https://matrix.to/#/%40signal_${ALICE}%3Aexample.org">A</a>`,
    text: "\uFFFC",
    ranges: [{ start: 0, length: 1, mentionAci: ALICE }],
  },
  {
    name: "pill for a Matrix-only user is their name",
    html: '<a href="https://matrix.to/#/@carol:example.org">Carol</a>',
    text: "Carol",
  },
  {
    name: "reply fallback is dropped",
    html: "<mx-reply><blockquote>old</blockquote></mx-reply>new",
    text: "new",
  },
  {
    name: "scripts and styles are dropped",
    html: "<script>alert(1)</script><style>b{}</style>ok",
    text: "ok",
  },
  { name: "unknown tags keep their text", html: "<marquee><blink>hey</blink></marquee>", text: "hey" },
  {
    name: "custom emoji image is its alt text",
    html: 'x <img data-mx-emoticon src="mxc://a/b" alt=":cat:"> y',
    text: "x :cat: y",
  },
  { name: "horizontal rule", html: "a<hr>b", text: "a\n---\nb" },
  {
    name: "table cells are separated",
    html: "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
    text: "a | b\nc",
  },
  {
    name: "unclosed tags end with the text",
    html: "<b>bold <i>both",
    text: "bold both",
    ranges: [
      { start: 0, length: 9, style: "bold" },
      { start: 5, length: 4, style: "italic" },
    ],
  },
  { name: "broken markup is text", html: "a < b && c <<>> d", text: "a < b && c <<>> d" },
  { name: "an end of paragraph with none open is an empty paragraph", html: "a</p>b", text: "a\n\nb" },
  { name: "a new item ends the open one", html: "<ul><li>a<li>b</ul>", text: "• a\n• b" },
  {
    name: "leading spaces are kept",
    html: "  <b>x</b>",
    text: "  x",
    ranges: [{ start: 2, length: 1, style: "bold" }],
  },
];

for (const c of cases) {
  test(`Matrix HTML -> Signal text: ${c.name}`, () => {
    const result = htmlToStyledText(c.html, aciOfGhost);
    assert.equal(result.text, c.text);
    assert.deepEqual(result.ranges, c.ranges ?? []);
  });
}

test("Matrix HTML -> Signal text: 100 000 nested elements neither throw nor recurse", () => {
  const depth = 100_000;
  const html = "<b><i>".repeat(depth / 2) + "deep" + "</i></b>".repeat(depth / 2);
  const result = htmlToStyledText(html, aciOfGhost);
  assert.equal(result.text, "deep");
  assert.deepEqual(result.ranges, [
    { start: 0, length: 4, style: "bold" },
    { start: 0, length: 4, style: "italic" },
  ]);
});

test("Matrix HTML -> Signal text: 100 000 unclosed elements are fine", () => {
  const result = htmlToStyledText("<div><span>".repeat(50_000) + "x", aciOfGhost);
  assert.equal(result.text, "x");
});

// Hostile nesting and size: the text stays bounded and keeps what a reader can use. How fast this
// is, is measured by `npm run bench`, not asserted here.

test("Matrix HTML -> Signal text: 3 500 nested lists keep 32 levels of markers, then plain items", () => {
  const depth = 3500;
  const html = "<ol><li>x".repeat(depth) + "</li></ol>".repeat(depth);
  const lines = htmlToStyledText(html, aciOfGhost).text.split("\n");
  // Each list and item is one level: items up to the limit have markers and indentation.
  const marked = MAX_NESTING_DEPTH / 2;
  assert.equal(lines.length, depth);
  lines.slice(0, marked).forEach((line, i) => assert.equal(line, `${"  ".repeat(i)}1. x`));
  lines.slice(marked).forEach((line) => assert.equal(line, "x"));
});

test("Matrix HTML -> Signal text: 3 500 nested quotes are prefixed up to the limit and cut at the size cap", () => {
  const depth = 3500;
  const html = "<blockquote>x".repeat(depth) + "</blockquote>".repeat(depth);
  const { text } = htmlToStyledText(html, aciOfGhost);
  const lines = text.split("\n");
  assert.equal(lines[0], "> x");
  assert.equal(lines[1], "> > x");
  assert.equal(lines[MAX_NESTING_DEPTH - 1], `${"> ".repeat(MAX_NESTING_DEPTH)}x`);
  assert.equal(lines[MAX_NESTING_DEPTH + 5], `${"> ".repeat(MAX_NESTING_DEPTH)}x`);
  assert.ok(utf8Length(text) <= MAX_TEXT_BYTES);
  assert.ok(text.endsWith(CUT_MARK));
});

for (const [name, open, close] of [
  ["ordered lists", "<ol><li>", "</li></ol>"],
  ["blockquotes", "<blockquote>", "</blockquote>"],
  ["bold", "<b>", "</b>"],
] as const) {
  test(`Matrix HTML -> Signal text: 100 000 nested ${name} around one word give that word`, () => {
    const depth = 100_000;
    const styled = htmlToStyledText(open.repeat(depth) + "deep" + close.repeat(depth), aciOfGhost);
    const line = styled.text.split("\n").find((l) => l.includes("deep"));
    assert.ok(styled.text.length < 1000, `${styled.text.length} characters`);
    assert.ok(line?.endsWith("deep"), styled.text);
    assert.ok(styled.ranges.length <= 1);
  });
}

test("Matrix HTML -> Signal text: 100 000 end tags with nothing to end are ignored", () => {
  const result = htmlToStyledText("<b>".repeat(100_000) + "</i>".repeat(100_000) + "x</b>", aciOfGhost);
  assert.deepEqual(result, { text: "x", ranges: [{ start: 0, length: 1, style: "bold" }] });
});

test("Matrix HTML -> Signal text: a 1 MB body is cut to the size cap, marked, with 250 ranges a style", () => {
  const html = `<p>${"hello <b>world</b> ".repeat(60_000)}</p>`;
  assert.ok(html.length > 1_000_000);
  const styled = htmlToStyledText(html, aciOfGhost);
  assert.ok(utf8Length(styled.text) <= MAX_TEXT_BYTES);
  assert.ok(utf8Length(styled.text) > MAX_TEXT_BYTES - 100);
  assert.ok(styled.text.startsWith("hello world hello world"));
  assert.ok(styled.text.endsWith(CUT_MARK));
  assert.equal(styled.ranges.length, MAX_RANGES_PER_KIND);
  assert.ok(styled.ranges.every((r) => r.start + r.length <= styled.text.length - CUT_MARK.length));
});

test("Matrix HTML -> Signal text: a mention that does not fit under the cap is left out whole", () => {
  const filler = "a".repeat(MAX_TEXT_BYTES - 4);
  const pill = `<a href="https://matrix.to/#/@signal_${ALICE}:example.org">Alice</a>`;
  const styled = htmlToStyledText(`${filler}${pill}${pill}`, aciOfGhost);
  assert.ok(utf8Length(styled.text) <= MAX_TEXT_BYTES);
  assert.ok(styled.text.endsWith(CUT_MARK));
  assert.deepEqual(styled.ranges, []);
});

test("Matrix HTML -> Signal text: elements named like object properties are unknown elements", () => {
  const result = htmlToStyledText(
    "<constructor>a</constructor> <valueOf>b</valueOf><hasOwnProperty>c",
    aciOfGhost,
  );
  assert.deepEqual(result, { text: "a bc", ranges: [] });
});
