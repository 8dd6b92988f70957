import assert from "node:assert/strict";
import { createDecipheriv, createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer, text } from "node:stream/consumers";
import { test } from "node:test";
import {
  decryptingStream,
  EncryptedFileError,
  encryptBuffer,
  encryptingStream,
} from "../../../../src/bridge/crypto/attachment-cipher.js";

const unpadded = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");

test("a streamed file encrypts to the spec's EncryptedFile: AES-256-CTR, SHA-256 of the ciphertext", async () => {
  const plaintext = randomBytes(300_000);
  const { stream, info } = encryptingStream();
  const ciphertext = await buffer(
    Readable.from([plaintext.subarray(0, 1000), plaintext.subarray(1000)]).pipe(stream),
  );
  const file = info();
  assert.equal(ciphertext.length, plaintext.length, "CTR keeps the length");
  assert.equal(file.hashes.sha256, unpadded(createHash("sha256").update(ciphertext).digest()));
  assert.equal(file.key.alg, "A256CTR");
  const iv = Buffer.from(file.iv, "base64");
  assert.ok(iv.subarray(8).equals(Buffer.alloc(8)), "the counter half of the IV starts at zero");
  const decipher = createDecipheriv("aes-256-ctr", Buffer.from(file.key.k, "base64url"), iv);
  assert.ok(Buffer.concat([decipher.update(ciphertext), decipher.final()]).equals(plaintext));
});

test("decrypting checks the hash: a file that was altered fails the stream", async () => {
  const plaintext = Buffer.from("the QR code of a Signal link");
  const { ciphertext, info } = encryptBuffer(plaintext);
  assert.equal(await text(Readable.from([ciphertext]).pipe(decryptingStream(info))), plaintext.toString());
  const altered = Buffer.from(ciphertext);
  altered[0] = (altered[0] ?? 0) ^ 1;
  await assert.rejects(buffer(Readable.from([altered]).pipe(decryptingStream(info))), EncryptedFileError);
});

test("a file without a usable key, IV or hash is refused before anything is downloaded", () => {
  assert.throws(() => decryptingStream({ key: { k: "short" }, iv: "AAAA", hashes: {} }), EncryptedFileError);
});
