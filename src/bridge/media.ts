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
import { MediaRepository, MediaTooLargeError } from "./media-repository.js";
import type { MediaSlot } from "./media-slots.js";

/** A Matrix file the bridge cannot relay as it is (not a size or network problem). */
export class UnsupportedMediaError extends Error {
  override name = "UnsupportedMediaError";
}

/**
 * Moves files between Signal's CDN and the homeserver's media repository, streaming them
 * through the bridge and enforcing media.max_size_mb both ways.
 */
export class MediaRelay {
  private readonly repository: MediaRepository;

  constructor(
    bridge: Bridge,
    private readonly maxBytes: number,
    private readonly logger: Logger,
  ) {
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
    plaintextHashes: ReadonlyMap<string, Uint8Array> = new Map(),
  ): Promise<Map<string, UploadedMedia>> {
    const media = new Map<string, UploadedMedia>();
    for (const { slot, pointer } of slots) {
      try {
        const plaintextHash = pointer.cdnKey ? plaintextHashes.get(pointer.cdnKey) : undefined;
        media.set(slot, await this.attachmentToMatrix(environment, pointer, plaintextHash));
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

  private async attachmentToMatrix(
    environment: SignalEnvironment,
    pointer: signalservice.IAttachmentPointer,
    plaintextHash: Uint8Array | undefined,
  ): Promise<UploadedMedia> {
    const download = await downloadAttachment(environment, pointer, {
      maxBytes: this.maxBytes,
      ...(plaintextHash ? { plaintextHash } : {}),
    });
    const url = await this.repository.upload(
      download.stream,
      download.size,
      download.contentType ?? "application/octet-stream",
      download.fileName ?? undefined,
    );
    return { url, size: download.size };
  }

  private async attachmentToSignal(
    client: SignalClient,
    { source, pointer }: AttachmentDescription,
  ): Promise<signalservice.IAttachmentPointer> {
    if (source.url === undefined) {
      throw new UnsupportedMediaError(
        "the file is end-to-end encrypted, and this bridge does not decrypt Matrix files; send it in an unencrypted room",
      );
    }
    // The event's own size is checked first, so an honest oversized file is not even fetched.
    if (pointer.size && pointer.size > this.maxBytes)
      throw new MediaTooLargeError(pointer.size, this.maxBytes);
    const download = await this.repository.download(source.url);
    let body: { stream: Readable; size: number } | { data: Uint8Array };
    if (download.size !== undefined) {
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
      {
        contentType: pointer.contentType || download.contentType || "application/octet-stream",
        ...definedFields(pointer),
      },
      { maxBytes: this.maxBytes },
    ).finally(() => download.stream.destroy());
    return {
      ...pointer,
      cdnNumber: uploaded.cdnNumber,
      cdnKey: uploaded.cdnKey,
      key: uploaded.key,
      digest: uploaded.digest,
      size: uploaded.size,
      uploadTimestamp: uploaded.uploadTimestamp,
    };
  }
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
