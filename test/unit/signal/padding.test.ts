import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { PaddingError } from "../../../src/signal/errors.js";
import { padContent, unpadContent } from "../../../src/signal/padding.js";

test("padding round-trips any content and hides its exact length", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1000 }), (content) => {
      const padded = padContent(content);
      assert.equal(padded.length % 160, 0);
      assert.ok(padded.length > content.length);
      assert.deepEqual(Buffer.from(unpadContent(padded)), Buffer.from(content));
    }),
  );
});

test("content padded by other clients with only the end marker is accepted", () => {
  assert.deepEqual(Buffer.from(unpadContent(Uint8Array.of(1, 2, 3, 0x80))), Buffer.from([1, 2, 3]));
});

test("content without the end marker, or with data after it, is refused", () => {
  assert.throws(() => unpadContent(Uint8Array.of(1, 2, 3, 0, 0)), PaddingError);
  assert.throws(() => unpadContent(Uint8Array.of(1, 0x80, 7, 0)), PaddingError);
  assert.throws(() => unpadContent(new Uint8Array()), PaddingError);
});
