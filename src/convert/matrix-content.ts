/**
 * The Matrix event content this layer reads and writes (client-server spec `m.room.message`,
 * `m.sticker`, `m.reaction`, plus the extensions Element understands for voice messages,
 * blurhashes and link previews). Only the fields the bridge uses are typed.
 */

export const HTML_FORMAT = "org.matrix.custom.html";

/** A file in an encrypted room (`EncryptedFile` in the spec). */
export interface EncryptedFile {
  url: string;
  key: { kty: "oct"; key_ops: string[]; alg: "A256CTR"; k: string; ext: true };
  iv: string;
  hashes: { sha256: string };
  v: "v2";
}

export interface ThumbnailInfo {
  mimetype?: string;
  size?: number;
  w?: number;
  h?: number;
}

export interface MediaInfo extends ThumbnailInfo {
  /** Milliseconds. */
  duration?: number;
  thumbnail_url?: string;
  thumbnail_file?: EncryptedFile;
  thumbnail_info?: ThumbnailInfo;
  /** MSC2448. */
  "xyz.amorgan.blurhash"?: string;
  /** mautrix's hints that a video is a GIF: loop it, play it silently, hide controls. */
  "fi.mau.gif"?: boolean;
  "fi.mau.loop"?: boolean;
  "fi.mau.autoplay"?: boolean;
  "fi.mau.hide_controls"?: boolean;
  "fi.mau.no_audio"?: boolean;
}

export interface RelatesTo {
  "m.in_reply_to"?: { event_id: string };
  rel_type?: string;
  event_id?: string;
  key?: string;
}

export interface Mentions {
  user_ids?: string[];
  room?: boolean;
}

/** One entry of Beeper's link previews, which Element forks and mautrix bridges show. */
export interface LinkPreview {
  matched_url: string;
  "og:url": string;
  "og:title"?: string;
  "og:description"?: string;
  "og:image"?: string;
  "og:image:type"?: string;
  "og:image:width"?: number;
  "og:image:height"?: number;
  "matrix:image:size"?: number;
  "beeper:image:encryption"?: EncryptedFile;
}

export type MessageType =
  "m.text" | "m.notice" | "m.emote" | "m.image" | "m.video" | "m.audio" | "m.file" | "m.location";

export interface MessageContent {
  msgtype: MessageType;
  body: string;
  format?: typeof HTML_FORMAT;
  formatted_body?: string;
  /** Media: `mxc://` URL in unencrypted rooms, or `file` in encrypted ones. */
  url?: string;
  file?: EncryptedFile;
  info?: MediaInfo;
  /** Media: the file name when `body` is a caption (MSC2530). */
  filename?: string;
  geo_uri?: string;
  "m.relates_to"?: RelatesTo;
  "m.new_content"?: MessageContent;
  "m.mentions"?: Mentions;
  /** MSC3245: marks an `m.audio` as a voice message. */
  "org.matrix.msc3245.voice"?: Record<string, never>;
  /** MSC1767 audio details Element shows for voice messages. */
  "org.matrix.msc1767.audio"?: { duration?: number; waveform?: number[] };
  "com.beeper.linkpreviews"?: LinkPreview[];
}

export interface StickerContent {
  body: string;
  url?: string;
  file?: EncryptedFile;
  info: MediaInfo;
  "m.relates_to"?: RelatesTo;
}

export interface ReactionContent {
  "m.relates_to": { rel_type: "m.annotation"; event_id: string; key: string };
}

/** MSC1767 text, as polls (MSC3381) carry it. */
export interface ExtensibleText {
  "org.matrix.msc1767.text": string;
}

/** MSC3381 `org.matrix.msc3381.poll.start`, with a text fallback for clients without polls. */
export interface PollStartContent {
  "org.matrix.msc3381.poll.start": {
    question: ExtensibleText;
    kind: "org.matrix.msc3381.poll.disclosed" | "org.matrix.msc3381.poll.undisclosed";
    max_selections: number;
    answers: Array<{ id: string } & ExtensibleText>;
  };
  "org.matrix.msc1767.text": string;
  body: string;
  msgtype: "m.text";
  "m.relates_to"?: RelatesTo;
}

/** MSC3381 `org.matrix.msc3381.poll.response`: a vote (no answers: the vote withdrawn). */
export interface PollResponseContent {
  "org.matrix.msc3381.poll.response": { answers: string[] };
  "m.relates_to": { rel_type: "m.reference"; event_id: string };
}

/** MSC3381 `org.matrix.msc3381.poll.end`, with a text fallback. */
export interface PollEndContent {
  "org.matrix.msc3381.poll.end": Record<string, never>;
  "org.matrix.msc1767.text": string;
  body: string;
  msgtype: "m.text";
  "m.relates_to": { rel_type: "m.reference"; event_id: string };
}
