import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

import { CorruptRecordError } from "./errors.js";

// Sealed layout: format version (1) || nonce (12) || ciphertext || GCM tag (16).
// The version byte leaves room to change algorithm later without guessing from lengths.
const FORMAT_V1 = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/**
 * Associated data naming where a sealed value lives (table.column, account, row key). Binding
 * it means a blob copied into another row, another column or another account fails to open
 * instead of being accepted. Parts are length-prefixed so ("ab","c") and ("a","bc") differ.
 */
export function rowBinding(...parts: readonly (string | number)[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const bytes = Buffer.from(String(part), "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    chunks.push(length, bytes);
  }
  return Buffer.concat(chunks);
}

/** Encrypts with AES-256-GCM under `key`, authenticating `binding` (see {@link rowBinding}). */
export function seal(key: Uint8Array, plaintext: Uint8Array, binding: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(binding);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(FORMAT_V1), nonce, body, cipher.getAuthTag()]);
}

/** Reverses {@link seal}; throws {@link CorruptRecordError} if the key or binding does not match. */
export function open(key: Uint8Array, sealed: Uint8Array, binding: Uint8Array): Buffer {
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== FORMAT_V1) {
    throw new CorruptRecordError("an encrypted value in the database is truncated or of an unknown format");
  }
  const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
  const body = sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(binding);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new CorruptRecordError(
      "an encrypted value in the database failed authentication (wrong key, or the row was altered or moved)",
    );
  }
}
