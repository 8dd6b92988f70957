import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";

import { CorruptRecordError } from "../../../src/store/index.js";
import { open, rowBinding, seal } from "../../../src/store/sealing.js";

const key = randomBytes(32);
const plaintext = Buffer.from("session record bytes");
const binding = rowBinding("signal_sessions.record_sealed", "@alice:example.org", "aci", "contact", 1);

test("a sealed value opens with the same key and binding, and hides the plaintext", () => {
  const sealed = seal(key, plaintext, binding);
  assert.deepEqual(open(key, sealed, binding), plaintext);
  assert.equal(sealed.indexOf(plaintext), -1);
  // A fresh nonce each time: sealing the same value twice gives different bytes.
  assert.notDeepEqual(seal(key, plaintext, binding), sealed);
});

test("a wrong key, a different row, or a flipped bit is rejected, never returned as garbage", () => {
  const sealed = seal(key, plaintext, binding);
  const otherRow = rowBinding("signal_sessions.record_sealed", "@alice:example.org", "aci", "contact", 2);
  const flipped = Buffer.from(sealed);
  flipped[20] = flipped[20]! ^ 0x01;

  assert.throws(() => open(randomBytes(32), sealed, binding), CorruptRecordError);
  assert.throws(() => open(key, sealed, otherRow), CorruptRecordError);
  assert.throws(() => open(key, flipped, binding), CorruptRecordError);
  assert.throws(() => open(key, sealed.subarray(0, 20), binding), CorruptRecordError);
});

test("row bindings keep part boundaries", () => {
  assert.notDeepEqual(rowBinding("ab", "c"), rowBinding("a", "bc"));
  assert.notDeepEqual(rowBinding("a", 1), rowBinding("a1"));
});
