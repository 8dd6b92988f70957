// Signal's attachment encryption, as streams: blob = iv(16) || AES-256-CBC(padded plaintext) ||
// HMAC-SHA256(iv || ciphertext); the pointer's digest is SHA-256 of the whole blob and its key is
// the AES key (32 bytes) followed by the MAC key (32 bytes).
//
// Plaintext is padded with zeros to a size bucket before encryption so that the blob length says
// little about the file; the pointer carries the real size and receivers cut the padding off.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
  type Cipher,
  type Decipher,
  type Hash,
  type Hmac,
} from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { AttachmentCorruptError } from "./attachment-errors.js";

export const ATTACHMENT_KEY_LENGTH = 64;
const AES_KEY_LENGTH = 32;
const IV_LENGTH = 16;
const MAC_LENGTH = 32;
const BLOCK_LENGTH = 16;
const MIN_BUCKET = 541;
const BUCKET_GROWTH = 1.05;
const ZERO_CHUNK = Buffer.alloc(64 * 1024);

/** A fresh random attachment key (AES key || MAC key). */
export function generateAttachmentKey(): Uint8Array {
  return new Uint8Array(randomBytes(ATTACHMENT_KEY_LENGTH));
}

/** The padded plaintext size for a file of `size` bytes: the next power of 1.05, at least 541. */
export function attachmentSizeBucket(size: number): number {
  return Math.max(
    MIN_BUCKET,
    Math.floor(BUCKET_GROWTH ** Math.ceil(Math.log(size) / Math.log(BUCKET_GROWTH))),
  );
}

/** The blob length for `paddedSize` bytes of padded plaintext (PKCS#7 always adds 1..16 bytes). */
function encryptedAttachmentSize(paddedSize: number): number {
  return IV_LENGTH + (Math.floor(paddedSize / BLOCK_LENGTH) + 1) * BLOCK_LENGTH + MAC_LENGTH;
}

/** The largest blob a sender may produce for a file of `size` bytes. */
function maxBlobSize(size: number): number {
  // One block of slack: other clients compute the bucket with their own floating-point library.
  return encryptedAttachmentSize(attachmentSizeBucket(size)) + BLOCK_LENGTH;
}

function splitKey(key: Uint8Array): { aesKey: Uint8Array; macKey: Uint8Array } {
  if (key.length !== ATTACHMENT_KEY_LENGTH) {
    throw new RangeError(`an attachment key has ${ATTACHMENT_KEY_LENGTH} bytes, not ${key.length}`);
  }
  return { aesKey: key.subarray(0, AES_KEY_LENGTH), macKey: key.subarray(AES_KEY_LENGTH) };
}

/**
 * Turns exactly `plaintextSize` bytes of plaintext into the padded, encrypted blob.
 * `digest` is available once the stream has ended.
 */
export class AttachmentEncryptor extends Transform {
  private readonly cipher: Cipher;
  private readonly hmac: Hmac;
  private readonly hash = createHash("sha256");
  private received = 0;
  private finalDigest: Uint8Array | null = null;

  constructor(
    key: Uint8Array,
    readonly plaintextSize: number,
    iv: Uint8Array = randomBytes(IV_LENGTH),
  ) {
    super();
    if (iv.length !== IV_LENGTH) throw new RangeError(`an attachment IV has ${IV_LENGTH} bytes`);
    const { aesKey, macKey } = splitKey(key);
    this.cipher = createCipheriv("aes-256-cbc", aesKey, iv);
    this.hmac = createHmac("sha256", macKey);
    this.output(Buffer.from(iv), true);
  }

  /** SHA-256 of the whole blob; throws before the stream has ended. */
  get digest(): Uint8Array {
    if (!this.finalDigest) throw new Error("the attachment digest is known only after encryption ended");
    return this.finalDigest;
  }

  /** Length of the blob this encryptor produces. */
  get encryptedSize(): number {
    return encryptedAttachmentSize(attachmentSizeBucket(this.plaintextSize));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.plaintextSize) {
      callback(new RangeError(`the attachment has more bytes than its declared size ${this.plaintextSize}`));
      return;
    }
    this.output(this.cipher.update(chunk), true);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.received !== this.plaintextSize) {
      callback(
        new RangeError(`the attachment has ${this.received} bytes, not its declared ${this.plaintextSize}`),
      );
      return;
    }
    let padding = attachmentSizeBucket(this.plaintextSize) - this.plaintextSize;
    while (padding > 0) {
      const zeros = ZERO_CHUNK.subarray(0, Math.min(padding, ZERO_CHUNK.length));
      this.output(this.cipher.update(zeros), true);
      padding -= zeros.length;
    }
    this.output(this.cipher.final(), true);
    this.output(this.hmac.digest(), false);
    this.finalDigest = new Uint8Array(this.hash.digest());
    callback();
  }

  private output(bytes: Buffer, authenticated: boolean): void {
    if (bytes.length === 0) return;
    if (authenticated) this.hmac.update(bytes);
    this.hash.update(bytes);
    this.push(bytes);
  }
}

/**
 * What the blob is checked against besides its MAC: the pointer's digest (SHA-256 of the blob),
 * or, for a file from a backup that carries none, the SHA-256 of the plaintext.
 */
export type AttachmentIntegrity = { digest: Uint8Array } | { plaintextHash: Uint8Array };

export type AttachmentDecryptorOptions = AttachmentIntegrity & {
  /** The plaintext size from the pointer; padding beyond it is dropped. */
  size: number;
};

/**
 * Turns a blob back into `size` bytes of plaintext while checking it.
 *
 * Plaintext flows out before the MAC at the end of the blob has been read: the stream fails with
 * AttachmentCorruptError at its end if a check fails, so a consumer must treat what it got as
 * unverified until the stream has ended without error (and discard it otherwise).
 */
export class AttachmentDecryptor extends Transform {
  private readonly aesKey: Uint8Array;
  private readonly hmac: Hmac;
  private readonly hash: Hash = createHash("sha256");
  private readonly plaintextHash: Hash = createHash("sha256");
  private readonly maxBlob: number;
  private decipher: Decipher | null = null;
  private iv = Buffer.alloc(0);
  // The last MAC_LENGTH bytes seen: they are the MAC if the stream ends here.
  private tail = Buffer.alloc(0);
  private received = 0;
  private emitted = 0;

  constructor(
    key: Uint8Array,
    private readonly options: AttachmentDecryptorOptions,
  ) {
    super();
    const { aesKey, macKey } = splitKey(key);
    this.aesKey = aesKey;
    this.hmac = createHmac("sha256", macKey);
    this.maxBlob = maxBlobSize(options.size);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.maxBlob) {
      callback(
        new AttachmentCorruptError(`longer than its declared size of ${this.options.size} bytes allows`),
      );
      return;
    }
    this.hash.update(chunk);
    const data = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    if (data.length <= MAC_LENGTH) {
      this.tail = Buffer.from(data);
      callback();
      return;
    }
    const body = data.subarray(0, data.length - MAC_LENGTH);
    this.tail = Buffer.from(data.subarray(data.length - MAC_LENGTH));
    this.hmac.update(body);
    this.decrypt(body);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (!this.decipher || this.tail.length !== MAC_LENGTH) throw new AttachmentCorruptError("truncated");
      if (!timingSafeEqual(this.hmac.digest(), this.tail)) throw new AttachmentCorruptError("MAC mismatch");
      if ("digest" in this.options && !sameBytes(this.hash.digest(), this.options.digest)) {
        throw new AttachmentCorruptError("digest mismatch");
      }
      let last: Buffer;
      try {
        last = this.decipher.final();
      } catch {
        throw new AttachmentCorruptError("invalid cipher padding");
      }
      this.deliver(last);
      if (this.emitted < this.options.size) {
        throw new AttachmentCorruptError(
          `${this.emitted} bytes of plaintext, fewer than the declared ${this.options.size}`,
        );
      }
      if (
        "plaintextHash" in this.options &&
        !sameBytes(this.plaintextHash.digest(), this.options.plaintextHash)
      ) {
        throw new AttachmentCorruptError("plaintext hash mismatch");
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private decrypt(body: Buffer): void {
    let rest = body;
    if (!this.decipher) {
      const needed = IV_LENGTH - this.iv.length;
      this.iv = Buffer.concat([this.iv, rest.subarray(0, needed)]);
      rest = rest.subarray(needed);
      if (this.iv.length < IV_LENGTH) return;
      this.decipher = createDecipheriv("aes-256-cbc", this.aesKey, this.iv);
    }
    if (rest.length > 0) this.deliver(this.decipher.update(rest));
  }

  private deliver(plaintext: Buffer): void {
    const wanted = Math.min(plaintext.length, this.options.size - this.emitted);
    if (wanted <= 0) return;
    this.emitted += wanted;
    const part = wanted === plaintext.length ? plaintext : plaintext.subarray(0, wanted);
    this.plaintextHash.update(part);
    this.push(part);
  }
}

function sameBytes(actual: Uint8Array, expected: Uint8Array): boolean {
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
