// Encrypts an attachment while uploading it to the CDN named by an upload form (tus on CDN 3)
// and returns the pointer a message carries to it.
import { Readable, pipeline } from "node:stream";
import { ErrorCode, LibSignalErrorBase } from "@signalapp/libsignal-client";
import type { AuthenticatedChatConnection, UploadForm } from "@signalapp/libsignal-client/dist/net.js";
import type { AuthMessagesService } from "@signalapp/libsignal-client/dist/net/chat/AuthMessagesService.js";
import { signalservice } from "../../proto/generated/signal.js";
import type { SignalEnvironment } from "../environment.js";
import { httpsRequest, readBody } from "../service-https.js";
import { AttachmentEncryptor, generateAttachmentKey } from "./attachment-cipher.js";
import { DEFAULT_MAX_ATTACHMENT_BYTES } from "./attachment-download.js";
import { AttachmentTooLargeError, AttachmentUploadError } from "./attachment-errors.js";

const TUS_VERSION = "1.0.0";
const MAX_RESPONSE_BYTES = 64 * 1024;

/** Whatever hands out upload forms: an authenticated chat connection does (see `uploadFormsOf`). */
export type UploadFormSource = Pick<AuthMessagesService, "getUploadForm">;

/** The upload-form API of an authenticated chat connection. */
export function uploadFormsOf(connection: AuthenticatedChatConnection): UploadFormSource {
  // libsignal adds getUploadForm to the class at runtime (net.js loads its chat services) and
  // declares it by augmenting the module "../Chat", which TypeScript's NodeNext resolution does
  // not match with "../Chat.js"; the method is there, only its declaration is lost.
  return connection as unknown as UploadFormSource;
}

/** The plaintext: whole bytes, or a stream of exactly `size` bytes (read once, never held whole). */
export type AttachmentSource = { data: Uint8Array } | { stream: Readable; size: number };

/** What the recipient's app shows about the attachment; copied into the pointer. */
export interface AttachmentUploadDetails {
  contentType: string;
  fileName?: string;
  width?: number;
  height?: number;
  caption?: string;
  blurHash?: string;
  /** Bit set of `signalservice.AttachmentPointer.Flags`. */
  flags?: number;
}

export interface UploadOptions {
  /** Larger plaintexts are refused before anything is uploaded. */
  maxBytes?: number;
  signal?: AbortSignal;
}

/** Encrypts and uploads; resolves with the pointer once the CDN has stored the whole blob. */
export async function uploadAttachment(
  environment: SignalEnvironment,
  forms: UploadFormSource,
  source: AttachmentSource,
  details: AttachmentUploadDetails,
  options: UploadOptions = {},
): Promise<signalservice.AttachmentPointer> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES;
  const size = "data" in source ? source.data.length : source.size;
  if (size > maxBytes) throw new AttachmentTooLargeError(size, maxBytes);

  const key = generateAttachmentKey();
  const encryptor = new AttachmentEncryptor(key, size);
  const uploadSize = encryptor.encryptedSize;
  const form = await requestUploadForm(forms, uploadSize, size, options.signal);
  if (form.cdn !== 3) {
    throw new AttachmentUploadError(
      `the server offered CDN ${form.cdn}, but only CDN 3 uploads are supported`,
    );
  }

  const plaintext =
    "data" in source
      ? Readable.from([Buffer.from(source.data.buffer, source.data.byteOffset, source.data.byteLength)])
      : source.stream;
  const body = pipeline(plaintext, encryptor, () => undefined);
  // One tus "creation with upload": the whole body goes in the POST. The CDN's answer may carry
  // an http:// Location for resuming; a complete upload has no use for it, so it is not followed.
  const response = await httpsRequest(environment, form.signedUploadUrl.toString(), {
    method: "POST",
    headers: {
      ...Object.fromEntries(form.headers),
      "Tus-Resumable": TUS_VERSION,
      "Upload-Length": String(uploadSize),
      "Upload-Metadata": `filename ${Buffer.from(form.key).toString("base64")}`,
      "Content-Type": "application/offset+octet-stream",
      "Content-Length": String(uploadSize),
    },
    body,
    signal: options.signal,
  }).catch((error: unknown) => {
    throw new AttachmentUploadError(error instanceof Error ? error.message : String(error), { cause: error });
  });
  const answer = await readBody(response, MAX_RESPONSE_BYTES).catch(() => new Uint8Array());
  if (response.status < 200 || response.status >= 300) {
    body.destroy();
    const reason = new TextDecoder().decode(answer.subarray(0, 200));
    throw new AttachmentUploadError(`the CDN answered ${response.status}${reason ? `: ${reason}` : ""}`);
  }
  const offset = response.headers["upload-offset"];
  if (offset !== undefined && Number(offset) !== uploadSize) {
    throw new AttachmentUploadError(`the CDN stored ${String(offset)} of ${uploadSize} bytes`);
  }

  return signalservice.AttachmentPointer.create({
    cdnNumber: form.cdn,
    cdnKey: form.key,
    key,
    digest: encryptor.digest,
    size,
    contentType: details.contentType,
    fileName: details.fileName ?? null,
    width: details.width ?? null,
    height: details.height ?? null,
    caption: details.caption ?? null,
    blurHash: details.blurHash ?? null,
    flags: details.flags ?? null,
    uploadTimestamp: Date.now(),
  });
}

async function requestUploadForm(
  forms: UploadFormSource,
  uploadSize: number,
  plaintextSize: number,
  signal: AbortSignal | undefined,
): Promise<UploadForm> {
  try {
    return await forms.getUploadForm({ uploadSize: BigInt(uploadSize) }, { abortSignal: signal });
  } catch (error) {
    if (error instanceof LibSignalErrorBase && error.code === ErrorCode.UploadTooLarge) {
      throw new AttachmentTooLargeError(plaintextSize, null);
    }
    throw new AttachmentUploadError(
      `no upload form (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}
