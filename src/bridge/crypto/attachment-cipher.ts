// Files in encrypted Matrix rooms (the spec's EncryptedFile): AES-256-CTR under a fresh key per
// file, with the SHA-256 of the ciphertext, streamed both ways so a large file never sits in memory.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

/** The spec's EncryptedFile without its `url` (known only once the ciphertext is uploaded). */
export interface FileEncryptionInfo {
  key: { kty: "oct"; key_ops: string[]; alg: "A256CTR"; k: string; ext: true };
  iv: string;
  hashes: { sha256: string };
  v: "v2";
}

/** Why an encrypted file was refused; the message is for the sender. */
export class EncryptedFileError extends Error {
  override name = "EncryptedFileError";
}

const unpadded = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");

/**
 * A stream that encrypts what passes through it; `info()` describes the file once the stream ended.
 * The IV's counter half starts at zero, as the spec recommends, so the counter never wraps.
 */
export function encryptingStream(): { stream: Transform; info(): FileEncryptionInfo } {
  const key = randomBytes(32);
  const iv = Buffer.concat([randomBytes(8), Buffer.alloc(8)]);
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  const hash = createHash("sha256");
  let digest: Buffer | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      const out = cipher.update(chunk);
      hash.update(out);
      done(null, out);
    },
    flush(done: TransformCallback) {
      const out = cipher.final();
      hash.update(out);
      digest = hash.digest();
      done(null, out.length > 0 ? out : undefined);
    },
  });
  return {
    stream,
    info() {
      if (!digest) throw new Error("the file's hash is known only after encryption ended");
      return {
        key: {
          kty: "oct",
          key_ops: ["encrypt", "decrypt"],
          alg: "A256CTR",
          k: key.toString("base64url"),
          ext: true,
        },
        iv: unpadded(iv),
        hashes: { sha256: unpadded(digest) },
        v: "v2",
      };
    },
  };
}

/** Encrypts a small file held in memory (the login QR code). */
export function encryptBuffer(plaintext: Uint8Array): { ciphertext: Buffer; info: FileEncryptionInfo } {
  const { stream, info } = encryptingStream();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.end(Buffer.from(plaintext));
  return { ciphertext: Buffer.concat(chunks), info: info() };
}

/**
 * A stream that decrypts an EncryptedFile's ciphertext. The ciphertext's SHA-256 is checked when it
 * ends: a file that does not match fails the stream (and so whatever it was being streamed into).
 */
export function decryptingStream(file: {
  key?: { k?: unknown; alg?: unknown };
  iv?: unknown;
  hashes?: Record<string, unknown>;
}): Transform {
  const key = typeof file.key?.k === "string" ? Buffer.from(file.key.k, "base64url") : undefined;
  const iv = typeof file.iv === "string" ? Buffer.from(file.iv, "base64") : undefined;
  const expected =
    typeof file.hashes?.["sha256"] === "string" ? Buffer.from(file.hashes["sha256"], "base64") : undefined;
  if (
    key?.length !== 32 ||
    iv?.length !== 16 ||
    expected?.length !== 32 ||
    (file.key?.alg ?? "A256CTR") !== "A256CTR"
  ) {
    throw new EncryptedFileError(
      "the encrypted file's key, IV or hash is missing or not AES-256-CTR with SHA-256",
    );
  }
  const decipher = createDecipheriv("aes-256-ctr", key, iv);
  const hash = createHash("sha256");
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      hash.update(chunk);
      done(null, decipher.update(chunk));
    },
    flush(done: TransformCallback) {
      if (!timingSafeEqual(hash.digest(), expected)) {
        done(new EncryptedFileError("the encrypted file does not match its hash (damaged or altered)"));
        return;
      }
      const rest = decipher.final();
      done(null, rest.length > 0 ? rest : undefined);
    },
  });
}
