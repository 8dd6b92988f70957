import { Readable } from "node:stream";
import type { Bridge } from "matrix-appservice-bridge";
import {
  type AttachmentDescription,
  LONG_TEXT_CONTENT_TYPE,
  MAX_LONG_TEXT_BYTES,
  type UploadedMedia,
} from "../convert/index.js";
import type { Logger } from "../logger.js";
import {
  downloadAttachment,
  downloadAttachmentBytes,
  type SignalClient,
  type SignalEnvironment,
  type signalservice,
  uploadAttachment,
} from "../signal/index.js";
import { decryptingStream, encryptingStream } from "./crypto/attachment-cipher.js";
import { displayConversion, Ffmpeg, isSignalVoiceType, renamed } from "./ffmpeg.js";
import { MediaRepository, MediaTooLargeError } from "./media-repository.js";
import type { MediaSlot } from "./media-slots.js";

/** A Matrix file the bridge cannot relay as it is (not a size or network problem). */
export class UnsupportedMediaError extends Error {
  override name = "UnsupportedMediaError";
}

// Bits of signalservice.AttachmentPointer.Flags.
const VOICE_MESSAGE = 1;
const GIF = 8;

function isVoiceNote(pointer: signalservice.IAttachmentPointer): boolean {
  return ((pointer.flags ?? 0) & VOICE_MESSAGE) !== 0;
}

/**
 * Moves files between Signal's CDN and the homeserver's media repository, streaming them
 * through the bridge and enforcing media.max_size_mb both ways. Voice notes go through ffmpeg
 * (media.ffmpeg_path): to AAC for Signal, measured (duration, waveform) for Matrix.
 */
export class MediaRelay {
  private readonly repository: MediaRepository;
  private readonly ffmpeg: Ffmpeg;

  constructor(
    bridge: Bridge,
    private readonly maxBytes: number,
    private readonly logger: Logger,
    ffmpegPath = "ffmpeg",
  ) {
    this.ffmpeg = new Ffmpeg(ffmpegPath, logger);
    // The bot's token: it may read and write the media repository for everything it bridges.
    const client = bridge.getIntent().matrixClient;
    this.repository = new MediaRepository(client.homeserverUrl, client.accessToken);
  }

  /**
   * Uploads each slot's Signal attachment to Matrix. A slot that fails (too large, expired,
   * damaged) is left out and logged; convert then shows a notice in its place. `plaintextHashes`
   * (by CDN key) check files of the transferred history whose pointers carry no digest.
   */
  async toMatrix(
    environment: SignalEnvironment,
    slots: readonly MediaSlot[],
    { encrypt }: { encrypt: boolean },
    plaintextHashes: ReadonlyMap<string, Uint8Array> = new Map(),
  ): Promise<Map<string, UploadedMedia>> {
    const media = new Map<string, UploadedMedia>();
    for (const { slot, pointer } of slots) {
      try {
        const plaintextHash = pointer.cdnKey ? plaintextHashes.get(pointer.cdnKey) : undefined;
        media.set(slot, await this.attachmentToMatrix(environment, pointer, encrypt, plaintextHash));
      } catch (error) {
        const name = pointer.fileName || pointer.contentType || "file";
        this.logger.warn(`attachment ${slot} (${name}) not bridged: ${(error as Error).message}`);
      }
    }
    return media;
  }

  /**
   * Uploads each Matrix file to Signal and fills in its pointer. Throws with a message for
   * the sender (too large, encrypted, unavailable): the message is not sent without its file.
   */
  async toSignal(
    client: SignalClient,
    attachments: readonly AttachmentDescription[],
  ): Promise<signalservice.IAttachmentPointer[]> {
    const pointers: signalservice.IAttachmentPointer[] = [];
    for (const attachment of attachments) pointers.push(await this.attachmentToSignal(client, attachment));
    return pointers;
  }

  /** The bytes of a Matrix file (e.g. a room avatar), at most media.max_size_mb of them. */
  async fromMatrix(mxc: string): Promise<Uint8Array> {
    const download = await this.repository.download(mxc);
    if (download.size !== undefined && download.size > this.maxBytes) {
      download.stream.destroy();
      throw new MediaTooLargeError(download.size, this.maxBytes);
    }
    return readAtMost(download.stream, this.maxBytes);
  }

  /** Uploads the whole text of a long message as Signal's long-text attachment. */
  async longTextToSignal(client: SignalClient, text: string): Promise<signalservice.IAttachmentPointer> {
    return uploadAttachment(
      client.environment,
      client.uploadForms,
      { data: new TextEncoder().encode(text) },
      { contentType: LONG_TEXT_CONTENT_TYPE },
      { maxBytes: this.maxBytes },
    );
  }

  /**
   * Downloads the whole text of a received long message, refusing more than Signal's own limit
   * for it or media.max_size_mb, whichever is smaller. Throws if it cannot.
   */
  async longTextFromSignal(
    environment: SignalEnvironment,
    pointer: signalservice.IAttachmentPointer,
  ): Promise<string> {
    const maxBytes = Math.min(MAX_LONG_TEXT_BYTES, this.maxBytes);
    const download = await downloadAttachmentBytes(environment, pointer, { maxBytes });
    return new TextDecoder().decode(download.data);
  }

  /**
   * Streams one attachment from Signal to the media repository; for an encrypted room it is
   * encrypted on the way (the repository then holds only ciphertext, of the same length).
   */
  private async attachmentToMatrix(
    environment: SignalEnvironment,
    pointer: signalservice.IAttachmentPointer,
    encrypt: boolean,
    plaintextHash: Uint8Array | undefined,
  ): Promise<UploadedMedia> {
    const options = { maxBytes: this.maxBytes, ...(plaintextHash ? { plaintextHash } : {}) };
    const { measure, ...download } = isVoiceNote(pointer)
      ? await this.measuredVoiceNote(environment, pointer, options)
      : { ...(await downloadAttachment(environment, pointer, options)), measure: undefined };
    if (!encrypt) {
      const url = await this.repository.upload(
        download.stream,
        download.size,
        download.contentType ?? "application/octet-stream",
        download.fileName ?? undefined,
      );
      return { url, size: download.size, ...measure };
    }
    const encryption = encryptingStream();
    download.stream.on("error", (error) => encryption.stream.destroy(error));
    const url = await this.repository.upload(
      download.stream.pipe(encryption.stream),
      download.size,
      "application/octet-stream",
      undefined,
    );
    return { file: { url, ...encryption.info() }, size: download.size, ...measure };
  }

  private download(source: AttachmentDescription["source"]) {
    return decryptedDownload(this.repository, source);
  }

  /**
   * A Matrix file converted to what Signal's apps play or show (a voice note to AAC, an image
   * to PNG, a video or animated sticker to MP4), or undefined if ffmpeg could not (logged).
   */
  private async convertForSignal(
    data: Uint8Array,
    pointer: signalservice.IAttachmentPointer,
    target: "m4a" | "png" | "mp4",
    shown: AttachmentDescription["shown"],
  ): Promise<ConvertedFile | undefined> {
    const inputName = pointer.fileName ?? "";
    if (target === "m4a") {
      const converted = await this.ffmpeg.toVoiceNote(data, inputName);
      return (
        converted && {
          data: converted,
          contentType: "audio/aac",
          fields: { fileName: renamed(pointer.fileName, "m4a", "Voice message") },
        }
      );
    }
    if (target === "png") {
      const converted = await this.ffmpeg.toPng(data, inputName);
      return (
        converted && {
          data: converted,
          contentType: "image/png",
          fields: { fileName: renamed(pointer.fileName, "png", "image") },
        }
      );
    }
    // A video shown as an image is an animated sticker: Signal loops it silently, as a GIF.
    const gif = shown === "image" || ((pointer.flags ?? 0) & GIF) !== 0;
    const converted = await this.ffmpeg.toMp4(data, inputName, gif);
    if (!converted) return undefined;
    const fields: ConvertedFile["fields"] = { fileName: renamed(pointer.fileName, "mp4", "video") };
    if (gif) fields.flags = (pointer.flags ?? 0) | GIF;
    return { data: converted, contentType: "video/mp4", fields };
  }

  /**
   * A voice note is read whole and measured with ffmpeg (duration and waveform, which Signal
   * does not send); it is then uploaded like any attachment, from memory.
   */
  private async measuredVoiceNote(
    environment: SignalEnvironment,
    pointer: signalservice.IAttachmentPointer,
    options: { maxBytes: number; plaintextHash?: Uint8Array },
  ) {
    const download = await downloadAttachmentBytes(environment, pointer, options);
    const measure = await this.ffmpeg.measure(download.data, download.fileName ?? "voice.aac");
    return {
      stream: Readable.from([Buffer.from(download.data)]),
      size: download.data.length,
      contentType: download.contentType,
      fileName: download.fileName,
      measure: measure && { durationMs: measure.durationMs, waveform: measure.waveform },
    };
  }

  private async attachmentToSignal(
    client: SignalClient,
    { source, pointer, shown }: AttachmentDescription,
  ): Promise<signalservice.IAttachmentPointer> {
    // The event's own size is checked first, so an honest oversized file is not even fetched.
    if (pointer.size && pointer.size > this.maxBytes)
      throw new MediaTooLargeError(pointer.size, this.maxBytes);
    const download = await this.download(source);
    let body: { stream: Readable; size: number } | { data: Uint8Array };
    let fields = definedFields(pointer);
    let contentType = pointer.contentType || download.contentType || "application/octet-stream";
    const voice = isVoiceNote(pointer) && !isSignalVoiceType(contentType);
    const display = voice ? undefined : displayConversion(shown, contentType);
    if (voice || display) {
      const data = await readAtMost(download.stream, this.maxBytes);
      const converted = await this.convertForSignal(data, pointer, voice ? "m4a" : display!, shown);
      if (converted && converted.data.length <= this.maxBytes) {
        body = { data: converted.data };
        contentType = converted.contentType;
        fields = { ...fields, ...converted.fields };
      } else {
        body = { data };
      }
    } else if (download.size !== undefined) {
      if (download.size > this.maxBytes) {
        download.stream.destroy();
        throw new MediaTooLargeError(download.size, this.maxBytes);
      }
      body = { stream: download.stream, size: download.size };
    } else {
      body = { data: await readAtMost(download.stream, this.maxBytes) };
    }
    const uploaded = await uploadAttachment(
      client.environment,
      client.uploadForms,
      body,
      { contentType, ...fields },
      { maxBytes: this.maxBytes },
    ).finally(() => download.stream.destroy());
    return {
      ...pointer,
      contentType,
      ...fields,
      cdnNumber: uploaded.cdnNumber,
      cdnKey: uploaded.cdnKey,
      key: uploaded.key,
      digest: uploaded.digest,
      size: uploaded.size,
      uploadTimestamp: uploaded.uploadTimestamp,
    };
  }
}

/** What a converted file is sent as. */
interface ConvertedFile {
  data: Uint8Array;
  contentType: string;
  fields: { fileName: string; flags?: number };
}

/** A Matrix file as a stream of its plaintext (decrypted on the way for an encrypted file). */
async function decryptedDownload(
  repository: MediaRepository,
  source: AttachmentDescription["source"],
): Promise<{ stream: Readable; size: number | undefined; contentType: string | undefined }> {
  if (source.url !== undefined) return repository.download(source.url);
  const decryption = decryptingStream(source.file);
  const download = await repository.download(source.file.url);
  download.stream.on("error", (error) => decryption.destroy(error));
  decryption.on("close", () => download.stream.destroy());
  // AES-CTR keeps the length, so the announced size is the plaintext's.
  return { stream: download.stream.pipe(decryption), size: download.size, contentType: undefined };
}

/** The descriptive pointer fields convert filled in, in the shape uploadAttachment copies. */
function definedFields(pointer: signalservice.IAttachmentPointer) {
  const fields: { fileName?: string; width?: number; height?: number; blurHash?: string; flags?: number } =
    {};
  if (pointer.fileName) fields.fileName = pointer.fileName;
  if (pointer.width && pointer.height) {
    fields.width = pointer.width;
    fields.height = pointer.height;
  }
  if (pointer.blurHash) fields.blurHash = pointer.blurHash;
  if (pointer.flags) fields.flags = pointer.flags;
  return fields;
}

/** Reads a stream whose length the homeserver did not announce, refusing more than `limit` bytes. */
async function readAtMost(stream: Readable, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) {
      stream.destroy();
      throw new MediaTooLargeError(length, limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
