import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { test } from "node:test";
import {
  AttachmentDecryptor,
  AttachmentEncryptor,
  attachmentSizeBucket,
  generateAttachmentKey,
} from "../../../../src/signal/attachments/attachment-cipher.js";
import { AttachmentCorruptError } from "../../../../src/signal/attachments/attachment-errors.js";

/** Feeds `chunks` through `transform` and returns everything it produced. */
async function run(transform: Transform, chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), transform, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return Buffer.concat(out);
}

/** Splits `data` into chunks of varying sizes, as a network delivers it. */
function chunked(data: Buffer, sizes = [1, 7, 16, 33, 1000, 65_536]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

async function encrypt(plaintext: Buffer, key = generateAttachmentKey()) {
  const encryptor = new AttachmentEncryptor(key, plaintext.length);
  const blob = await run(encryptor, chunked(plaintext));
  return { key, blob, digest: encryptor.digest, encryptedSize: encryptor.encryptedSize };
}

async function decrypt(blob: Buffer, key: Uint8Array, size: number, digest: Uint8Array): Promise<Buffer> {
  return run(new AttachmentDecryptor(key, { size, digest }), chunked(blob));
}

function sha256(data: Buffer): Buffer {
  return createHash("sha256").update(data).digest();
}

test("attachments of many sizes come back byte-identical after encryption and decryption", async () => {
  for (const size of [0, 1, 15, 16, 17, 540, 541, 542, 4096, 100_000, 1_000_003]) {
    const plaintext = randomBytes(size);
    const { key, blob, digest, encryptedSize } = await encrypt(plaintext);
    assert.equal(blob.length, encryptedSize, `blob length for ${size} bytes`);
    const decrypted = await decrypt(blob, key, size, digest);
    assert.ok(decrypted.equals(plaintext), `round trip of ${size} bytes`);
  }
});

test("a blob is iv || AES-256-CBC of the zero-padded plaintext || HMAC, and its digest is its SHA-256", async () => {
  const plaintext = randomBytes(1234);
  const { key, blob, digest } = await encrypt(plaintext);
  assert.ok(Buffer.from(digest).equals(sha256(blob)));
  const iv = blob.subarray(0, 16);
  const ciphertext = blob.subarray(16, blob.length - 32);
  const mac = blob.subarray(blob.length - 32);
  const expectedMac = createHmac("sha256", key.subarray(32)).update(iv).update(ciphertext).digest();
  assert.ok(mac.equals(expectedMac), "MAC covers iv and ciphertext with the second half of the key");
  const decipher = createDecipheriv("aes-256-cbc", key.subarray(0, 32), iv);
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  assert.ok(padded.subarray(0, plaintext.length).equals(plaintext));
  assert.equal(padded.length, attachmentSizeBucket(plaintext.length));
  assert.ok(
    padded.subarray(plaintext.length).every((byte) => byte === 0),
    "padding is zeros",
  );
});

test("padding hides the size: files in one bucket give blobs of one length, buckets grow by 5%", async () => {
  const small = await encrypt(randomBytes(3));
  const larger = await encrypt(randomBytes(500));
  assert.equal(small.blob.length, larger.blob.length);
  for (const size of [0, 1, 541, 542, 10_000, 1_000_000, 50_000_000]) {
    const bucket = attachmentSizeBucket(size);
    assert.ok(bucket >= size && bucket >= 541, `bucket of ${size} holds it`);
    if (size > 541) assert.ok(bucket <= Math.ceil(size * 1.05), `bucket of ${size} wastes at most 5%`);
  }
});

test("a blob without padding (as some senders produce) decrypts too", async () => {
  const plaintext = randomBytes(777);
  const key = generateAttachmentKey();
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-256-cbc", key.subarray(0, 32), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const mac = createHmac("sha256", key.subarray(32)).update(iv).update(ciphertext).digest();
  const blob = Buffer.concat([iv, ciphertext, mac]);
  const decrypted = await decrypt(blob, key, plaintext.length, sha256(blob));
  assert.ok(decrypted.equals(plaintext));
});

test("a changed ciphertext byte is rejected as a MAC mismatch", async () => {
  const { key, blob } = await encrypt(randomBytes(2000));
  const tampered = Buffer.from(blob);
  tampered[100] = (tampered[100] ?? 0) ^ 1;
  await assert.rejects(decrypt(tampered, key, 2000, sha256(tampered)), (error) => {
    assert.ok(error instanceof AttachmentCorruptError);
    assert.match(error.message, /MAC mismatch/);
    return true;
  });
});

test("a wrong MAC key is rejected", async () => {
  const { key, blob, digest } = await encrypt(randomBytes(2000));
  const wrongKey = Buffer.concat([key.subarray(0, 32), randomBytes(32)]);
  await assert.rejects(decrypt(blob, wrongKey, 2000, digest), /MAC mismatch/);
});

test("a blob that does not match the pointer's digest is rejected", async () => {
  const { key, blob } = await encrypt(randomBytes(2000));
  await assert.rejects(decrypt(blob, key, 2000, randomBytes(32)), (error) => {
    assert.ok(error instanceof AttachmentCorruptError);
    assert.match(error.message, /digest mismatch/);
    return true;
  });
});

test("a file from a transferred history is checked against its plaintext hash when it has no digest", async () => {
  const plaintext = randomBytes(5_000);
  const { key, blob } = await encrypt(plaintext);
  const checked = (plaintextHash: Uint8Array) =>
    run(new AttachmentDecryptor(key, { size: plaintext.length, plaintextHash }), chunked(blob));
  assert.deepEqual(await checked(sha256(plaintext)), plaintext);
  await assert.rejects(checked(sha256(randomBytes(10))), AttachmentCorruptError);
});

test("truncated blobs are rejected", async () => {
  const { key, blob } = await encrypt(randomBytes(2000));
  for (const length of [0, 20, 47, 48, blob.length - 16, blob.length - 1]) {
    const cut = blob.subarray(0, length);
    await assert.rejects(
      decrypt(cut, key, 2000, sha256(cut)),
      AttachmentCorruptError,
      `blob cut to ${length} bytes`,
    );
  }
});

test("a pointer claiming more bytes than the blob holds is rejected", async () => {
  const { key, blob, digest } = await encrypt(randomBytes(100));
  await assert.rejects(decrypt(blob, key, 600, digest), /fewer than the declared 600/);
});

test("a blob far longer than the pointer's size allows is refused while it streams", async () => {
  const { key, blob, digest } = await encrypt(randomBytes(100_000));
  await assert.rejects(decrypt(blob, key, 10, digest), /longer than its declared size/);
});

test("an encryptor given a different number of bytes than declared fails", async () => {
  await assert.rejects(
    run(new AttachmentEncryptor(generateAttachmentKey(), 10), [randomBytes(9)]),
    /9 bytes/,
  );
  await assert.rejects(
    run(new AttachmentEncryptor(generateAttachmentKey(), 10), [randomBytes(11)]),
    /more bytes than its declared size/,
  );
});

test("decryption streams: plaintext flows out before the whole blob has arrived", async () => {
  const size = 4 * 1024 * 1024;
  const { key, blob, digest } = await encrypt(randomBytes(size));
  const decryptor = new AttachmentDecryptor(key, { size, digest });
  let produced = 0;
  decryptor.on("data", (chunk: Buffer) => {
    produced += chunk.length;
  });
  const half = blob.length / 2;
  await new Promise<void>((resolve) => decryptor.write(blob.subarray(0, half), () => resolve()));
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(produced > size / 4, `decrypted ${produced} bytes from the first half of the blob`);
  decryptor.end(blob.subarray(half));
  await new Promise((resolve, reject) => decryptor.on("end", resolve).on("error", reject));
  assert.equal(produced, size);
});
