/**
 * The phone's side of the history transfer on the mock server: the phone offers its history when
 * linking (an ephemeral backup key in the provisioning message), then uploads the encrypted
 * archive to CDN 3 and tells the server where it is, which answers the linked device's wait.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { encryptAsContact } from "./contact-attachments.js";
import type { MockSignalServer } from "./mock-signal-server.js";
import {
  type ArchivedFile,
  encryptBackup,
  HistoryArchiveBuilder,
  sha256,
  transferArchiveKey,
} from "./transfer-archive.js";

/** Makes the phone offer its history to the next device it links (as the user ticking "transfer"). */
export function offerHistory(phone: PrimaryDevice): void {
  phone.ephemeralBackupKey = randomBytes(32);
}

/** A history builder for the phone's account. */
export function historyOf(phone: PrimaryDevice, backupTime = Date.now()): HistoryArchiveBuilder {
  return new HistoryArchiveBuilder(
    { aci: phone.device.aci, profileKey: phone.profileKey.serialize(), givenName: "Alice" },
    backupTime,
  );
}

/** A file the phone uploaded to the transit CDN for the transfer, as the archive points to it. */
export async function uploadedFile(
  mock: MockSignalServer,
  plaintext: Buffer,
  contentType: string,
  fileName: string,
): Promise<ArchivedFile> {
  const { key, blob } = encryptAsContact(plaintext);
  const cdnKey = randomUUID();
  await mock.server.storeAttachmentOnCdn(3, cdnKey, new Uint8Array(blob));
  return { cdnKey, key, size: plaintext.length, contentType, fileName, plaintextHash: sha256(plaintext) };
}

/**
 * Encrypts the history with the key the phone offered, puts it on CDN 3 and hands its place to
 * the server for `device`; `damage` changes the encrypted bytes first.
 */
export async function sendHistory(
  mock: MockSignalServer,
  phone: PrimaryDevice,
  device: Device,
  history: HistoryArchiveBuilder,
  damage: (archive: Uint8Array) => Uint8Array = (archive) => archive,
): Promise<void> {
  const ephemeralKey = phone.ephemeralBackupKey;
  if (!ephemeralKey) throw new Error("the phone offered no history (call offerHistory before linking)");
  const plaintext = history.plaintext(new Uint8Array(phone.mediaRootBackupKey));
  const archive = damage(encryptBackup(plaintext, transferArchiveKey(ephemeralKey, phone.device.aci)));
  const key = randomUUID();
  await mock.server.storeAttachmentOnCdn(3, key, new Uint8Array(archive));
  await mock.server.provideTransferArchive(device, { cdn: 3, key });
}
