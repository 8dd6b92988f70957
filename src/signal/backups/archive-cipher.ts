// The encryption of a backup file (the transfer archive is one): iv (16) || AES-256-CBC of the
// gzipped frames || HMAC-SHA256 over iv and ciphertext. Zeros may follow the gzip stream inside
// the encryption (padding that hides the exact length). Keys derive from a backup key and the
// backup id (libsignal's MessageBackupKey); for the transfer archive, the backup key is the
// ephemeral one the phone put into the provisioning message.
import { createDecipheriv, createHmac, timingSafeEqual } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { pipeline, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { Aci } from "@signalapp/libsignal-client";
import { BackupKey } from "@signalapp/libsignal-client/dist/AccountKeys.js";
import { MessageBackupKey } from "@signalapp/libsignal-client/dist/MessageBackup.js";
import { TransferArchiveError } from "./backup-errors.js";

const IV_LENGTH = 16;
const MAC_LENGTH = 32;
const BLOCK_LENGTH = 16;
/** Backups with forward secrecy (remote backups) start with this; a transfer archive never does. */
const FORWARD_SECRECY_MAGIC = Buffer.from("SBACKUP\x01", "latin1");

/** The key of the transfer archive: derived from the phone's ephemeral backup key and our ACI. */
export function transferArchiveKey(ephemeralBackupKey: Uint8Array, aci: string): MessageBackupKey {
  const backupKey = new BackupKey(new Uint8Array(ephemeralBackupKey));
  return new MessageBackupKey({ backupKey, backupId: backupKey.deriveBackupId(Aci.fromUuid(aci)) });
}

/**
 * Checks the archive in `path` against its MAC before anything of it is decrypted; throws
 * TransferArchiveError if it is too short, of another format, or altered.
 */
export async function verifyArchive(path: string, key: MessageBackupKey): Promise<void> {
  const { size } = await stat(path);
  if (size < IV_LENGTH + BLOCK_LENGTH + MAC_LENGTH) throw new TransferArchiveError("it is truncated");
  const file = await open(path, "r");
  try {
    const head = Buffer.alloc(FORWARD_SECRECY_MAGIC.length);
    await file.read(head, 0, head.length, 0);
    if (head.equals(FORWARD_SECRECY_MAGIC)) {
      throw new TransferArchiveError("it is a remote backup, not a transfer archive");
    }
    const expected = Buffer.alloc(MAC_LENGTH);
    await file.read(expected, 0, MAC_LENGTH, size - MAC_LENGTH);
    const hmac = createHmac("sha256", key.hmacKey);
    for await (const chunk of createReadStream(path, { start: 0, end: size - MAC_LENGTH - 1 })) {
      hmac.update(chunk as Buffer);
    }
    if (!timingSafeEqual(hmac.digest(), expected)) {
      throw new TransferArchiveError(
        "it is damaged or was not encrypted for this device (its integrity check failed)",
      );
    }
  } finally {
    await file.close();
  }
}

/**
 * The decrypted, decompressed contents of an archive that {@link verifyArchive} accepted: the
 * varint-delimited BackupInfo and frames. Errors of the stream are best shown through
 * {@link archiveReadError}.
 */
export async function openArchive(path: string, key: MessageBackupKey): Promise<Readable> {
  const { size } = await stat(path);
  const iv = Buffer.alloc(IV_LENGTH);
  const file = await open(path, "r");
  try {
    await file.read(iv, 0, IV_LENGTH, 0);
  } finally {
    await file.close();
  }
  const ciphertext = createReadStream(path, { start: IV_LENGTH, end: size - MAC_LENGTH - 1 });
  const decipher = createDecipheriv("aes-256-cbc", key.aesKey, iv);
  // Failures reach the consumer through the returned stream.
  return pipeline(ciphertext, decipher, createGunzip(), () => undefined);
}

/** A failure while reading an archive's contents, as the user should hear of it. */
export function archiveReadError(error: unknown): TransferArchiveError {
  if (error instanceof TransferArchiveError) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  const reason =
    code.startsWith("Z_") || code.startsWith("ERR_ZLIB")
      ? "it holds no compressed backup"
      : code.startsWith("ERR_OSSL")
        ? "it could not be decrypted"
        : `reading it failed (${(error as Error).message})`;
  return new TransferArchiveError(reason, { cause: error });
}
