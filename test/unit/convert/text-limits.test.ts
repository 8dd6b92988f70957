import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  capText,
  jsonLength,
  jsonPrefixLength,
  utf8Length,
  utf8PrefixLength,
} from "../../../src/convert/text-limits.js";

// Strings with emoji, accents, CJK, lone surrogates and characters JSON escapes.
const text = fc.string({
  unit: fc.constantFrom("a", "é", "中", "😀", "\uD83D", "\uDE00", "\n", '"', "\\", "\u0001", "\u2028"),
  maxLength: 40,
});

test("property: utf8Length is the length Node's UTF-8 encoder produces", () => {
  fc.assert(fc.property(text, (s) => assert.equal(utf8Length(s), Buffer.byteLength(s, "utf8"))));
});

test("property: utf8PrefixLength is the longest start that fits, never half a pair", () => {
  fc.assert(
    fc.property(text, fc.nat(60), (s, max) => {
      const end = utf8PrefixLength(s, max);
      assert.ok(Buffer.byteLength(s.slice(0, end)) <= max);
      const next = s.codePointAt(end);
      if (next !== undefined) {
        assert.ok(
          Buffer.byteLength(s.slice(0, end) + String.fromCodePoint(next)) > max,
          "a longer start fits",
        );
        const code = s.charCodeAt(end);
        assert.ok(
          !(
            code >= 0xdc00 &&
            code <= 0xdfff &&
            s.charCodeAt(end - 1) >= 0xd800 &&
            s.charCodeAt(end - 1) <= 0xdbff
          ),
        );
      }
    }),
  );
});

test("property: jsonLength is the size of the text inside a JSON string, and its prefixes fit", () => {
  fc.assert(
    fc.property(text, fc.nat(80), (s, max) => {
      assert.equal(jsonLength(s), Buffer.byteLength(JSON.stringify(s)) - 2);
      assert.ok(Buffer.byteLength(JSON.stringify(s.slice(0, jsonPrefixLength(s, max)))) - 2 <= max);
    }),
  );
});

test("capText keeps what fits and marks the cut", () => {
  assert.equal(capText("hello", 5), "hello");
  assert.equal(capText("hello world", 8), "hello…");
  assert.equal(capText("😀😀😀", 9), "😀…");
});
