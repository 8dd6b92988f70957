import type { signalservice } from "../proto/generated/signal.js";
import type {
  EncryptedFile,
  MediaInfo,
  MessageContent,
  StickerContent,
  ThumbnailInfo,
} from "./matrix-content.js";

type AttachmentPointer = signalservice.IAttachmentPointer;

// Bits of signalservice.AttachmentPointer.Flags.
const VOICE_MESSAGE = 1;
const GIF = 8;

/** Where an uploaded file lives: a plain `mxc://` URL, or an encrypted file for encrypted rooms. */
export type MediaSource = { url: string; file?: undefined } | { file: EncryptedFile; url?: undefined };

/**
 * A Signal attachment after the bridge downloaded, decrypted and uploaded it to Matrix.
 * Facts Signal does not send (duration, waveform) can be measured by the bridge and added.
 */
export type UploadedMedia = MediaSource & {
  /** The uploaded size, when the pointer does not say. */
  size?: number;
  /** Milliseconds. */
  durationMs?: number;
  /** MSC1767 waveform, 0..1024 per sample, for voice messages. */
  waveform?: number[];
  thumbnail?: MediaSource & { info: ThumbnailInfo };
};

export function isVoiceMessage(pointer: AttachmentPointer): boolean {
  return ((pointer.flags ?? 0) & VOICE_MESSAGE) !== 0;
}

function isGif(pointer: AttachmentPointer): boolean {
  return ((pointer.flags ?? 0) & GIF) !== 0 || pointer.contentType?.toLowerCase() === "image/gif";
}

function positive(value: number | null | undefined): number | undefined {
  return value && value > 0 ? value : undefined;
}

/** The `info` block for an uploaded Signal attachment. */
export function mediaInfo(pointer: AttachmentPointer, media: UploadedMedia): MediaInfo {
  const info: MediaInfo = {};
  if (pointer.contentType) info.mimetype = pointer.contentType;
  const size = positive(pointer.size) ?? positive(media.size);
  if (size !== undefined) info.size = size;
  const width = positive(pointer.width);
  const height = positive(pointer.height);
  if (width !== undefined && height !== undefined) {
    info.w = width;
    info.h = height;
  }
  if (media.durationMs !== undefined) info.duration = Math.round(media.durationMs);
  if (pointer.blurHash) info["xyz.amorgan.blurhash"] = pointer.blurHash;
  if (media.thumbnail) {
    if (media.thumbnail.url !== undefined) info.thumbnail_url = media.thumbnail.url;
    else info.thumbnail_file = media.thumbnail.file;
    info.thumbnail_info = media.thumbnail.info;
  }
  return info;
}

function msgtypeOf(pointer: AttachmentPointer): MessageContent["msgtype"] {
  const type = pointer.contentType?.toLowerCase() ?? "";
  if (type.startsWith("image/")) return "m.image";
  if (type.startsWith("video/")) return "m.video";
  if (type.startsWith("audio/")) return "m.audio";
  return "m.file";
}

const GENERIC_NAMES: Readonly<Record<string, string>> = {
  "m.image": "image",
  "m.video": "video",
  "m.audio": "audio",
  "m.file": "file",
};

/**
 * A Signal attachment as a Matrix media message. The attachment's own caption, if any,
 * becomes the body with the file name in `filename` (MSC2530). Voice notes get the
 * MSC3245 marker so Element shows a voice player; Signal GIFs (looping MP4s) get mautrix's
 * GIF hints.
 */
export function attachmentToMatrix(
  pointer: AttachmentPointer,
  media: UploadedMedia,
  viewOnce: boolean,
): MessageContent {
  const msgtype = msgtypeOf(pointer);
  const voice = msgtype === "m.audio" && isVoiceMessage(pointer);
  const name = pointer.fileName || (voice ? "Voice message" : (GENERIC_NAMES[msgtype] as string));
  const content: MessageContent = { msgtype, body: name, info: mediaInfo(pointer, media) };
  if (media.url !== undefined) content.url = media.url;
  else content.file = media.file;

  const caption = pointer.caption?.trim();
  if (caption) {
    content.body = caption;
    content.filename = name;
  }
  if (viewOnce) {
    content.filename = name;
    content.body = `View-once ${GENERIC_NAMES[msgtype]}${caption ? `: ${caption}` : ""}`;
  }
  if (voice) {
    content["org.matrix.msc3245.voice"] = {};
    const audio: { duration?: number; waveform?: number[] } = {};
    if (media.durationMs !== undefined) audio.duration = Math.round(media.durationMs);
    if (media.waveform) audio.waveform = media.waveform;
    content["org.matrix.msc1767.audio"] = audio;
  }
  if (isGif(pointer) && content.info) {
    Object.assign(content.info, {
      "fi.mau.gif": true,
      "fi.mau.loop": true,
      "fi.mau.autoplay": true,
      "fi.mau.hide_controls": true,
      "fi.mau.no_audio": true,
    });
  }
  return content;
}

/** A Signal sticker as an `m.sticker` event; its emoji is the body clients show as text. */
export function stickerToMatrix(
  sticker: signalservice.DataMessage.ISticker,
  media: UploadedMedia,
): StickerContent {
  const info = sticker.data ? mediaInfo(sticker.data, media) : {};
  const content: StickerContent = { body: sticker.emoji || "Sticker", info };
  if (media.url !== undefined) content.url = media.url;
  else content.file = media.file;
  return content;
}
