// Downloads an attachment from the CDN its pointer names and decrypts it while it streams in.
import { pipeline, type Readable } from "node:stream";
import type { signalservice } from "../../proto/generated/signal.js";
import type { SignalEnvironment } from "../environment.js";
import { ServiceRequestError } from "../errors.js";
import { httpsRequest, readBody } from "../service-https.js";
import { ATTACHMENT_KEY_LENGTH, AttachmentDecryptor, type AttachmentIntegrity } from "./attachment-cipher.js";
import {
  AttachmentNotFoundError,
  AttachmentPointerError,
  AttachmentTooLargeError,
} from "./attachment-errors.js";

/** Signal's own limit for attachments; callers may set a lower one. */
export const DEFAULT_MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 4096;

export type AttachmentPointerFields = signalservice.AttachmentPointer.$Properties;

export interface DownloadOptions {
  /** Attachments whose pointer claims more plaintext bytes are refused before downloading. */
  maxBytes?: number;
  signal?: AbortSignal;
  /**
   * SHA-256 of the plaintext, checked instead of a digest the pointer lacks: a file from the
   * history a phone transferred may carry only that.
   */
  plaintextHash?: Uint8Array;
}

interface AttachmentDescription {
  contentType: string | null;
  fileName: string | null;
  /** Plaintext size in bytes. */
  size: number;
}

/** A download in progress; `stream` fails with AttachmentCorruptError at its end if a check fails. */
export interface AttachmentDownload extends AttachmentDescription {
  stream: Readable;
}

/** A verified, decrypted attachment. */
export interface DownloadedAttachment extends AttachmentDescription {
  data: Uint8Array;
}

/** The CDN URL of an attachment: CDN 0 by numeric id, CDNs 2 and 3 by key. */
function attachmentUrl(environment: SignalEnvironment, pointer: AttachmentPointerFields): string {
  const cdnNumber = pointer.cdnNumber ?? 0;
  const base = environment.cdnUrls[cdnNumber];
  if (base === undefined) throw new AttachmentPointerError(`it names CDN ${cdnNumber}, which is unknown`);
  const id = pointer.cdnKey || (cdnNumber === 0 && pointer.cdnId ? String(pointer.cdnId) : "");
  if (!id) throw new AttachmentPointerError("it has no CDN id or key");
  return `${base}/attachments/${encodeURIComponent(id)}`;
}

/** Starts downloading and decrypting; resolves once the CDN has answered. */
export async function downloadAttachment(
  environment: SignalEnvironment,
  pointer: AttachmentPointerFields,
  options: DownloadOptions = {},
): Promise<AttachmentDownload> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
  const size = pointer.size ?? 0;
  if (!pointer.key || pointer.key.length !== ATTACHMENT_KEY_LENGTH) {
    throw new AttachmentPointerError("it has no valid key");
  }
  const integrity: AttachmentIntegrity | null =
    pointer.digest && pointer.digest.length > 0
      ? { digest: pointer.digest }
      : options.plaintextHash
        ? { plaintextHash: options.plaintextHash }
        : null;
  if (!integrity) throw new AttachmentPointerError("it has no digest (the sender's app may be outdated)");
  if (size > maxBytes) throw new AttachmentTooLargeError(size, maxBytes);
  const url = attachmentUrl(environment, pointer);
  const response = await httpsRequest(environment, url, { signal: options.signal });
  if (response.status === 404) {
    response.body.resume();
    throw new AttachmentNotFoundError();
  }
  if (response.status < 200 || response.status >= 300) {
    const reason = await readBody(response, MAX_ERROR_BODY_BYTES).catch(() => new Uint8Array());
    throw new ServiceRequestError(
      "GET",
      new URL(url).pathname,
      response.status,
      new TextDecoder().decode(reason.subarray(0, 200)),
    );
  }
  const decryptor = new AttachmentDecryptor(pointer.key, { size, ...integrity });
  // Errors of either side end up on the returned stream, which is what the consumer reads.
  const stream = pipeline(response.body, decryptor, () => undefined);
  return { stream, contentType: pointer.contentType || null, fileName: pointer.fileName || null, size };
}

/** Downloads, decrypts and verifies a whole attachment into memory (one buffer of its size). */
export async function downloadAttachmentBytes(
  environment: SignalEnvironment,
  pointer: AttachmentPointerFields,
  options: DownloadOptions = {},
): Promise<DownloadedAttachment> {
  const { stream, ...description } = await downloadAttachment(environment, pointer, options);
  const data = new Uint8Array(description.size);
  let offset = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    data.set(chunk, offset);
    offset += chunk.length;
  }
  return { ...description, data };
}
