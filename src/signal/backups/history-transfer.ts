// Fetching the history the phone transferred: download the archive from the CDN into a private
// temporary file, check its MAC, then decrypt, decompress and read it in one pass.
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { SignalEnvironment } from "../environment.js";
import { ServiceRequestError } from "../errors.js";
import { httpsRequest, readBody } from "../service-https.js";
import { archiveReadError, openArchive, transferArchiveKey, verifyArchive } from "./archive-cipher.js";
import { TransferArchiveError } from "./backup-errors.js";
import { backupRecords } from "./backup-records.js";
import { type HistoryArchive, readHistory } from "./history-reader.js";
import type { TransferArchiveLocation } from "./transfer-archive.js";

export interface FetchHistoryOptions {
  ownAci: string;
  /** The 32-byte key the phone sent in the provisioning message. */
  ephemeralBackupKey: Uint8Array;
  messagesPerChat: number;
  signal?: AbortSignal;
  onRefusedFrame?: (reason: string) => void;
}

/** How long the CDN may stay silent during the download. */
const DOWNLOAD_IDLE_TIMEOUT_MS = 120_000;

/**
 * Downloads and reads the transfer archive at `location`. Throws TransferArchiveError when it is
 * gone, damaged or unreadable; network failures are thrown as they come (worth retrying).
 */
export async function fetchHistory(
  environment: SignalEnvironment,
  location: TransferArchiveLocation,
  options: FetchHistoryOptions,
): Promise<HistoryArchive> {
  const key = transferArchiveKey(options.ephemeralBackupKey, options.ownAci);
  // A directory only we can enter: the file is encrypted, but nobody else needs to see it.
  const dir = await mkdtemp(join(tmpdir(), "signal-history-"));
  try {
    const path = join(dir, "archive");
    await download(environment, location, path, options.signal);
    await verifyArchive(path, key);
    const plaintext = await openArchive(path, key);
    try {
      return await readHistory(backupRecords(plaintext), {
        ownAci: options.ownAci,
        messagesPerChat: options.messagesPerChat,
        ...(options.onRefusedFrame ? { onRefusedFrame: options.onRefusedFrame } : {}),
      });
    } catch (error) {
      throw archiveReadError(error);
    } finally {
      plaintext.destroy();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function download(
  environment: SignalEnvironment,
  { cdn, key }: TransferArchiveLocation,
  path: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const base = environment.cdnUrls[cdn];
  if (base === undefined) throw new TransferArchiveError(`it is on CDN ${cdn}, which is unknown`);
  const url = `${base}/attachments/${encodeURIComponent(key)}`;
  const response = await httpsRequest(environment, url, {
    timeoutMs: DOWNLOAD_IDLE_TIMEOUT_MS,
    ...(signal ? { signal } : {}),
  });
  if (response.status === 404) {
    response.body.resume();
    throw new TransferArchiveError("it is no longer on the Signal server");
  }
  if (response.status < 200 || response.status >= 300) {
    const reason = await readBody(response, 4096).catch(() => new Uint8Array());
    throw new ServiceRequestError(
      "GET",
      new URL(url).pathname,
      response.status,
      new TextDecoder().decode(reason.subarray(0, 200)),
    );
  }
  await pipeline(response.body, createWriteStream(path, { mode: 0o600 }));
}
