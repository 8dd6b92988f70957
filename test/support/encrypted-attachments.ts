/**
 * Encrypted attachments as a Matrix client makes and reads them (the spec's EncryptedFile:
 * AES-256-CTR, SHA-256 of the ciphertext), written independently of the bridge's own code.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

export interface EncryptedFileContent {
  url: string;
  key: { kty: "oct"; key_ops: string[]; alg: "A256CTR"; k: string; ext: true };
  iv: string;
  hashes: { sha256: string };
  v: "v2";
}

export function encryptFile(plaintext: Buffer): {
  ciphertext: Buffer;
  file: Omit<EncryptedFileContent, "url">;
} {
  const key = randomBytes(32);
  const iv = Buffer.concat([randomBytes(8), Buffer.alloc(8)]);
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const sha256 = createHash("sha256").update(ciphertext).digest("base64").replace(/=+$/, "");
  return {
    ciphertext,
    file: {
      key: {
        kty: "oct",
        key_ops: ["encrypt", "decrypt"],
        alg: "A256CTR",
        k: key.toString("base64url"),
        ext: true,
      },
      iv: iv.toString("base64").replace(/=+$/, ""),
      hashes: { sha256 },
      v: "v2",
    },
  };
}

/** Decrypts an EncryptedFile's ciphertext after checking its hash. */
export function decryptFile(ciphertext: Buffer, file: EncryptedFileContent): Buffer {
  const hash = createHash("sha256").update(ciphertext).digest("base64").replace(/=+$/, "");
  if (hash !== file.hashes.sha256.replace(/=+$/, ""))
    throw new Error("the encrypted file does not match its hash");
  const decipher = createDecipheriv(
    "aes-256-ctr",
    Buffer.from(file.key.k, "base64url"),
    Buffer.from(file.iv, "base64"),
  );
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
}
