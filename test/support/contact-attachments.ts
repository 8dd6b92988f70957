/**
 * A Signal contact's side of attachments, written independently of src/ (no padding, like the
 * mock's own encryptor), so tests show interoperability rather than agreement with ourselves.
 */
import assert from "node:assert/strict";
import type { EMPTY_DATA_MESSAGE } from "@signalapp/mock-server";
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";

const sha256 = (data: Uint8Array): Buffer => createHash("sha256").update(data).digest();

/** Encrypts a file as a contact's app would before storing it on the CDN. */
export function encryptAsContact(plaintext: Buffer): { key: Buffer; blob: Buffer; digest: Buffer } {
  const key = randomBytes(64);
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-256-cbc", key.subarray(0, 32), iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const mac = createHmac("sha256", key.subarray(32)).update(iv).update(ciphertext).digest();
  const blob = Buffer.concat([iv, ciphertext, mac]);
  return { key, blob, digest: sha256(blob) };
}

/** Checks and decrypts a blob from the CDN as a contact's app would; `size` cuts off the padding. */
export function decryptAsContact(
  blob: Uint8Array,
  key: Uint8Array,
  size: number,
  digest: Uint8Array,
): Buffer {
  const data = Buffer.from(blob);
  assert.ok(sha256(data).equals(Buffer.from(digest)), "the blob matches the pointer's digest");
  const iv = data.subarray(0, 16);
  const ciphertext = data.subarray(16, data.length - 32);
  const mac = createHmac("sha256", key.subarray(32)).update(iv).update(ciphertext).digest();
  assert.ok(mac.equals(data.subarray(data.length - 32)), "the blob's MAC verifies");
  const decipher = createDecipheriv("aes-256-cbc", key.subarray(0, 32), iv);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).subarray(0, size);
}

type MockAttachmentPointer = NonNullable<(typeof EMPTY_DATA_MESSAGE)["attachments"]>[number];

/** The pointer a contact's app puts in a message for a file it stored on CDN 3. */
export function cdn3PointerAsContact(file: {
  cdnKey: string;
  key: Uint8Array;
  digest: Uint8Array;
  size: number;
  contentType: string;
  fileName: string;
}): MockAttachmentPointer {
  return {
    attachmentIdentifier: { cdnKey: file.cdnKey },
    cdnNumber: 3,
    key: new Uint8Array(file.key),
    digest: new Uint8Array(file.digest),
    size: file.size,
    contentType: file.contentType,
    fileName: file.fileName,
    clientUuid: null,
    thumbnail: null,
    incrementalMac: null,
    chunkSize: null,
    flags: null,
    width: null,
    height: null,
    caption: null,
    blurHash: null,
    uploadTimestamp: null,
  };
}
