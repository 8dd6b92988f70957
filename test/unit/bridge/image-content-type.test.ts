import assert from "node:assert/strict";
import { test } from "node:test";

import { imageContentType } from "../../../src/bridge/image-content-type.js";

test("an avatar's content type is told from its first bytes", () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]);
  const webp = Uint8Array.from(Buffer.from("RIFF\x24\x00\x00\x00WEBPVP8 ", "latin1"));
  assert.equal(imageContentType(png), "image/png");
  assert.equal(imageContentType(jpeg), "image/jpeg");
  assert.equal(imageContentType(Uint8Array.from(Buffer.from("GIF89a"))), "image/gif");
  assert.equal(imageContentType(webp), "image/webp");
  assert.equal(imageContentType(Uint8Array.from(Buffer.from("not an image"))), "application/octet-stream");
});
