// Encrypts profile fields the way a Signal app does, written independently of src/ for tests.
import { createCipheriv, randomBytes } from "node:crypto";

/** AES-256-GCM: nonce(12) || ciphertext || tag(16), base64; text is NUL-padded to `padTo` bytes. */
export function encryptProfileField(profileKey: Uint8Array, text: string | Buffer, padTo?: number): string {
  const raw = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  const plain = padTo === undefined ? raw : Buffer.concat([raw, Buffer.alloc(padTo - raw.length)]);
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", profileKey, nonce);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString("base64");
}
