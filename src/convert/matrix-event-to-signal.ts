import type { signalservice } from "../proto/generated/signal.js";
import { toBodyRanges } from "./body-ranges.js";
import { htmlToStyledText } from "./html-to-styled-text.js";
import { MAX_INLINE_BODY_BYTES } from "./long-text.js";
import { HTML_FORMAT, type EncryptedFile } from "./matrix-content.js";
import { stripReplyFallback } from "./reply-fallback.js";
import type { MediaSource } from "./signal-attachment-to-matrix.js";
import type { SignalMessageRef } from "./signal-to-matrix-context.js";
import { capStyledText, type StyledText } from "./styled-text.js";
import { capText, MAX_TEXT_BYTES } from "./text-limits.js";

type DataMessage = signalservice.IDataMessage;

// Bits of signalservice.AttachmentPointer.Flags.
const VOICE_MESSAGE = 1;
const GIF = 8;

/**
 * A Matrix event as it arrives from the homeserver. Content is untrusted and checked field by
 * field; content that is not even an object is read as empty.
 */
export interface MatrixEvent {
  type: string;
  content: Record<string, unknown> | null;
  /** When the event was sent (ms); orders a voter's votes on Signal. */
  sentAt?: number;
  /** Who sent it; only a poll's author may end it. */
  sender?: string;
}

// MSC3381 poll events, as Element sends them.
const POLL_START = "org.matrix.msc3381.poll.start";
const POLL_RESPONSE = "org.matrix.msc3381.poll.response";
const POLL_END = "org.matrix.msc3381.poll.end";
/** Signal's apps offer at most 10 options; a longer question or option is cut. */
const MAX_POLL_OPTIONS = 10;
const MAX_POLL_TEXT_BYTES = 400;

/** What Matrix -> Signal conversion needs to know, supplied by the bridge. */
export interface MatrixToSignalContext {
  /** The Signal account behind a Matrix user (a ghost, or a logged-in user), for mentions. */
  aciOfMatrixUser(userId: string): string | undefined;
  /** The Signal message a Matrix event was bridged to or from. */
  signalMessageOf(eventId: string): Promise<SignalMessageRef | undefined>;
  /**
   * The answer ids of a Matrix poll the bridge sent to Signal, in order; undefined for a poll
   * from Signal, whose answer ids are the option positions themselves.
   */
  pollAnswersOf?(pollEventId: string): Promise<readonly string[] | undefined>;
}

/**
 * A Matrix file to send to Signal. The bridge downloads `source` (decrypting it if it is an
 * encrypted file), encrypts and uploads it to Signal, and merges the upload's fields
 * (cdnKey, key, digest, size ...) into `pointer`.
 */
export interface AttachmentDescription {
  source: MediaSource;
  pointer: signalservice.IAttachmentPointer;
  /**
   * How the sender meant the file to be shown: inline as an image (`m.image`, `m.sticker`) or
   * as a video (`m.video`). The bridge converts such files in formats Signal's apps do not
   * display; a file without it (`m.file`, `m.audio`) goes as it is.
   */
  shown?: "image" | "video";
}

export type SignalOutgoing =
  /** A new message; the bridge adds timestamp, group context, timer, profile key and attachments. */
  | { kind: "message"; dataMessage: DataMessage; attachments: AttachmentDescription[] }
  /**
   * A poll (send as a `DataMessage` with `pollCreate`); the bridge remembers `answerIds`, the
   * Matrix answer ids in the order of the Signal options, which Signal votes name by position.
   */
  | { kind: "poll"; dataMessage: DataMessage; answerIds: string[] }
  /** A vote, or the end of a poll; send as a `DataMessage` with `pollVote` or `pollTerminate`. */
  | { kind: "poll-update"; dataMessage: DataMessage }
  /** An edit of the message sent at `targetSentTimestamp` (send as `EditMessage`). */
  | { kind: "edit"; targetSentTimestamp: number; dataMessage: DataMessage }
  /** A reaction, or its removal; send as a `DataMessage` with only `reaction` set. */
  | { kind: "reaction"; dataMessage: DataMessage }
  /** A delete for everyone; send as a `DataMessage` with only `delete` set. */
  | { kind: "delete"; dataMessage: DataMessage }
  /** Nothing to send; `reason` says why, for a notice to the sender. */
  | { kind: "ignored"; reason: string };

/** What the bridge knows about a redacted Matrix event. */
export type RedactedEvent =
  | { kind: "message"; message: SignalMessageRef }
  | { kind: "reaction"; emoji: string; target: SignalMessageRef };

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function asPositiveInteger(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * Converts a Matrix event (`m.room.message`, `m.sticker`, `m.reaction`) to what should be sent
 * to Signal. Redactions need what was redacted: use `matrixRedactionToSignal`. Never throws, and
 * text is at most `MAX_TEXT_BYTES` (cut with a mark); the bridge sends a body longer than Signal
 * takes inline as a long-text attachment (`splitLongBody`).
 */
export async function matrixEventToSignal(
  event: MatrixEvent,
  ctx: MatrixToSignalContext,
): Promise<SignalOutgoing> {
  const content = asRecord(event.content) ?? {};
  const relatesTo = asRecord(content["m.relates_to"]);
  if (event.type === "m.reaction") return reactionToSignal(relatesTo, ctx);
  if (event.type === "m.sticker") return await mediaToSignal("m.sticker", content, relatesTo, ctx);
  if (event.type === POLL_START) return pollStartToSignal(content);
  if (event.type === POLL_RESPONSE) return pollResponseToSignal(content, relatesTo, ctx, event.sentAt);
  if (event.type === POLL_END) return pollEndToSignal(relatesTo, event.sender, ctx);
  if (event.type !== "m.room.message")
    return { kind: "ignored", reason: `Events of type ${event.type} are not bridged to Signal` };

  if (relatesTo?.rel_type === "m.replace") {
    const target = asString(relatesTo.event_id);
    const message = target ? await ctx.signalMessageOf(target) : undefined;
    const newContent = asRecord(content["m.new_content"]);
    if (!message || !newContent)
      return { kind: "ignored", reason: "The edited message is not on Signal, so the edit was not sent" };
    const text = messageText(newContent, undefined, ctx);
    if (text === undefined) return { kind: "ignored", reason: "Only text messages can be edited on Signal" };
    return {
      kind: "edit",
      targetSentTimestamp: message.sentTimestamp,
      dataMessage: textMessage(text.styled),
    };
  }

  const msgtype = asString(content.msgtype);
  switch (msgtype) {
    case "m.text":
    case "m.notice":
    case "m.emote": {
      const text = messageText(content, relatesTo, ctx) as NonNullable<ReturnType<typeof messageText>>;
      if (!text.styled.text.trim()) return { kind: "ignored", reason: "The message is empty" };
      const dataMessage = textMessage(text.styled);
      const quote = await quoteFor(relatesTo, text.quotedText, ctx);
      if (quote) dataMessage.quote = quote;
      return { kind: "message", dataMessage, attachments: [] };
    }
    case "m.image":
    case "m.video":
    case "m.audio":
    case "m.file":
      return await mediaToSignal(msgtype, content, relatesTo, ctx);
    case "m.location":
      return locationToSignal(content, relatesTo, ctx);
    default:
      return { kind: "ignored", reason: `Messages of type ${msgtype ?? "(none)"} cannot be sent to Signal` };
  }
}

/** A Matrix redaction as a Signal delete for everyone, or as the removal of a reaction. */
export function matrixRedactionToSignal(redacted: RedactedEvent): SignalOutgoing {
  if (redacted.kind === "reaction") {
    return {
      kind: "reaction",
      dataMessage: {
        reaction: {
          emoji: redacted.emoji,
          remove: true,
          targetAuthorAci: redacted.target.authorAci,
          targetSentTimestamp: redacted.target.sentTimestamp,
        },
      },
    };
  }
  return { kind: "delete", dataMessage: { delete: { targetSentTimestamp: redacted.message.sentTimestamp } } };
}

function textMessage(styled: StyledText): DataMessage {
  const dataMessage: DataMessage = { body: styled.text };
  const bodyRanges = toBodyRanges(styled);
  if (bodyRanges.length > 0) dataMessage.bodyRanges = bodyRanges;
  return dataMessage;
}

/**
 * The text of a text-like content: formatted HTML when present, else the plain body. Reply
 * fallbacks are removed (only when the event is a reply, as "> " may be the user's own quote).
 * Emotes become "/me ..." since Signal has none. Undefined for non-text msgtypes.
 */
function messageText(
  content: Record<string, unknown>,
  relatesTo: Record<string, unknown> | undefined,
  ctx: MatrixToSignalContext,
): { styled: StyledText; quotedText?: string } | undefined {
  const msgtype = asString(content.msgtype);
  if (msgtype !== "m.text" && msgtype !== "m.notice" && msgtype !== "m.emote") return undefined;
  const isReply = asRecord(relatesTo?.["m.in_reply_to"]) !== undefined;
  const body = asString(content.body) ?? "";
  const split = isReply ? stripReplyFallback(body) : { body };
  const formatted = asString(content.formatted_body);
  let styled: StyledText =
    content.format === HTML_FORMAT && formatted !== undefined
      ? htmlToStyledText(formatted, (userId) => ctx.aciOfMatrixUser(userId))
      : { text: split.body, ranges: [] };
  if (msgtype === "m.emote") styled = prefixText("/me ", styled);
  styled = capStyledText(styled, MAX_TEXT_BYTES);
  if (split.quotedText === undefined) return { styled };
  // Signal shows its own copy of a quoted message; this text only stands in without one.
  return { styled, quotedText: capText(split.quotedText, MAX_INLINE_BODY_BYTES) };
}

function prefixText(prefix: string, styled: StyledText): StyledText {
  return {
    text: prefix + styled.text,
    ranges: styled.ranges.map((range) => ({ ...range, start: range.start + prefix.length })),
  };
}

async function quoteFor(
  relatesTo: Record<string, unknown> | undefined,
  quotedText: string | undefined,
  ctx: MatrixToSignalContext,
): Promise<signalservice.DataMessage.IQuote | undefined> {
  const eventId = asString(asRecord(relatesTo?.["m.in_reply_to"])?.event_id);
  const message = eventId ? await ctx.signalMessageOf(eventId) : undefined;
  if (!message) return undefined;
  // Signal shows its own copy of the quoted message; the text is what it shows without one.
  return { id: message.sentTimestamp, authorAci: message.authorAci, text: quotedText ?? "", bodyRanges: [] };
}

const DEFAULT_CONTENT_TYPES: Readonly<Record<string, string>> = {
  "m.image": "image/jpeg",
  "m.sticker": "image/png",
  "m.video": "video/mp4",
  "m.audio": "audio/mpeg",
  "m.file": "application/octet-stream",
};

function sourceOf(content: Record<string, unknown>): MediaSource | undefined {
  const url = asString(content.url);
  if (url?.startsWith("mxc://")) return { url };
  const file = asRecord(content.file);
  if (file && asString(file.url)?.startsWith("mxc://") && asRecord(file.key) && asString(file.iv)) {
    return { file: file as unknown as EncryptedFile };
  }
  return undefined;
}

/**
 * A Matrix media message as a Signal attachment. A caption (MSC2530: a `body` that differs
 * from `filename`) becomes the message text; voice messages (MSC3245) become Signal voice notes.
 * A sticker is sent as an image (a Signal sticker needs a published sticker pack), named by its
 * body (usually the emoji or the sticker's name).
 */
async function mediaToSignal(
  msgtype: "m.image" | "m.sticker" | "m.video" | "m.audio" | "m.file",
  content: Record<string, unknown>,
  relatesTo: Record<string, unknown> | undefined,
  ctx: MatrixToSignalContext,
): Promise<SignalOutgoing> {
  const source = sourceOf(content);
  if (!source)
    return { kind: "ignored", reason: "The file has no valid mxc:// URL, so it could not be sent to Signal" };
  const info = asRecord(content.info) ?? {};
  const body = asString(content.body) ?? "";
  const filename = asString(content.filename);
  const contentType = asString(info.mimetype) || (DEFAULT_CONTENT_TYPES[msgtype] as string);

  const pointer: signalservice.IAttachmentPointer = { contentType };
  const fileName = filename || body;
  if (fileName) pointer.fileName = fileName;
  const size = asPositiveInteger(info.size);
  if (size !== undefined) pointer.size = size;
  const width = asPositiveInteger(info.w);
  const height = asPositiveInteger(info.h);
  if (width !== undefined && height !== undefined) {
    pointer.width = width;
    pointer.height = height;
  }
  const blurHash = asString(info["xyz.amorgan.blurhash"]);
  if (blurHash) pointer.blurHash = blurHash;
  let flags = 0;
  if (msgtype === "m.audio" && content["org.matrix.msc3245.voice"] !== undefined) flags |= VOICE_MESSAGE;
  if (info["fi.mau.gif"] === true || contentType === "image/gif") flags |= GIF;
  if (flags) pointer.flags = flags;

  let dataMessage: DataMessage = {};
  if (filename && body && body !== filename) {
    const captionContent = { ...content, msgtype: "m.text" };
    const caption = messageText(captionContent, relatesTo, ctx);
    if (caption) dataMessage = textMessage(caption.styled);
  }
  const quote = await quoteFor(relatesTo, undefined, ctx);
  if (quote) dataMessage.quote = quote;
  const attachment: AttachmentDescription = { source, pointer };
  if (msgtype === "m.image" || msgtype === "m.sticker") attachment.shown = "image";
  if (msgtype === "m.video") attachment.shown = "video";
  return { kind: "message", dataMessage, attachments: [attachment] };
}

/** MSC1767 text: the plain `org.matrix.msc1767.text`, or the first plain entry of `m.text`. */
function extensibleText(value: unknown): string | undefined {
  const record = asRecord(value);
  if (!record) return undefined;
  const plain = asString(record["org.matrix.msc1767.text"]);
  if (plain !== undefined) return plain;
  const parts = record["m.text"];
  if (!Array.isArray(parts)) return undefined;
  for (const part of parts as unknown[]) {
    const entry = asRecord(part);
    if (entry && (entry.mimetype === undefined || entry.mimetype === "text/plain"))
      return asString(entry.body);
  }
  return undefined;
}

/** An MSC3381 poll as a Signal poll; answers without an id or text are left out. */
function pollStartToSignal(content: Record<string, unknown>): SignalOutgoing {
  const poll = asRecord(content[POLL_START]);
  const question = extensibleText(poll?.question)?.trim();
  const answers: { id: string; text: string }[] = [];
  for (const answer of Array.isArray(poll?.answers) ? (poll.answers as unknown[]) : []) {
    const record = asRecord(answer);
    const id = asString(record?.id);
    const text = extensibleText(record)?.trim();
    if (id && text && !answers.some((known) => known.id === id)) answers.push({ id, text });
    if (answers.length === MAX_POLL_OPTIONS) break;
  }
  if (!question || answers.length < 2)
    return { kind: "ignored", reason: "The poll has no question or fewer than two answers" };
  const maxSelections = asPositiveInteger(poll?.max_selections) ?? 1;
  return {
    kind: "poll",
    dataMessage: {
      pollCreate: {
        question: capText(question, MAX_POLL_TEXT_BYTES),
        allowMultiple: maxSelections > 1,
        options: answers.map((answer) => capText(answer.text, MAX_POLL_TEXT_BYTES)),
      },
    },
    answerIds: answers.map((answer) => answer.id),
  };
}

/** The 16 bytes of an ACI's UUID string. */
function aciBytes(aci: string): Uint8Array {
  const hex = aci.replace(/-/g, "");
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * A vote as a Signal vote: the chosen answers by position. Signal keeps a voter's vote with
 * the highest count, so the count is the vote's time in seconds (later votes count higher).
 */
async function pollResponseToSignal(
  content: Record<string, unknown>,
  relatesTo: Record<string, unknown> | undefined,
  ctx: MatrixToSignalContext,
  sentAt: number | undefined,
): Promise<SignalOutgoing> {
  const pollEventId = relatesTo?.rel_type === "m.reference" ? asString(relatesTo.event_id) : undefined;
  const target = pollEventId ? await ctx.signalMessageOf(pollEventId) : undefined;
  if (!pollEventId || !target) return { kind: "ignored", reason: "The poll voted on is not on Signal" };
  const response = asRecord(content[POLL_RESPONSE]);
  const chosen = Array.isArray(response?.answers) ? (response.answers as unknown[]) : [];
  const answerIds = await ctx.pollAnswersOf?.(pollEventId);
  const indexes: number[] = [];
  for (const id of chosen.slice(0, MAX_POLL_OPTIONS)) {
    if (typeof id !== "string") continue;
    // A poll from Signal has the positions as ids.
    const index = answerIds ? answerIds.indexOf(id) : /^\d$/.test(id) ? Number(id) : -1;
    if (index >= 0 && !indexes.includes(index)) indexes.push(index);
  }
  return {
    kind: "poll-update",
    dataMessage: {
      pollVote: {
        targetAuthorAciBinary: aciBytes(target.authorAci),
        targetSentTimestamp: target.sentTimestamp,
        optionIndexes: indexes,
        voteCount: Math.max(1, Math.floor((sentAt ?? 0) / 1000)),
      },
    },
  };
}

/** The end of a poll; Signal lets only its author end it (the message names no author). */
async function pollEndToSignal(
  relatesTo: Record<string, unknown> | undefined,
  sender: string | undefined,
  ctx: MatrixToSignalContext,
): Promise<SignalOutgoing> {
  const pollEventId = relatesTo?.rel_type === "m.reference" ? asString(relatesTo.event_id) : undefined;
  const target = pollEventId ? await ctx.signalMessageOf(pollEventId) : undefined;
  if (!target) return { kind: "ignored", reason: "The poll ended is not on Signal" };
  if (sender !== undefined && ctx.aciOfMatrixUser(sender) !== target.authorAci)
    return { kind: "ignored", reason: "Only the poll's author can end it on Signal" };
  return {
    kind: "poll-update",
    dataMessage: { pollTerminate: { targetSentTimestamp: target.sentTimestamp } },
  };
}

/** Parses `geo:lat,lon[,alt][;params]` (RFC 5870). */
export function parseGeoUri(uri: string): { latitude: number; longitude: number } | undefined {
  const match = /^geo:(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)/i.exec(uri.trim());
  if (!match) return undefined;
  const latitude = Number(match[1]);
  const longitude = Number(match[2]);
  if (Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return undefined;
  return { latitude, longitude };
}

/**
 * A Matrix location as text with a map link, in the form Signal's Android app uses for
 * shared places (description, then a Google Maps link), which Signal users can open anywhere.
 */
async function locationToSignal(
  content: Record<string, unknown>,
  relatesTo: Record<string, unknown> | undefined,
  ctx: MatrixToSignalContext,
): Promise<SignalOutgoing> {
  const geo = parseGeoUri(asString(content.geo_uri) ?? "");
  if (!geo)
    return {
      kind: "ignored",
      reason: "The location has no valid geo: URI, so it could not be sent to Signal",
    };
  const body = asString(content.body)?.trim() ?? "";
  const description = asString(asRecord(content["org.matrix.msc3488.location"])?.description)?.trim();
  const label = capText(
    description || (body && !body.includes("geo:") ? body : "Location"),
    MAX_INLINE_BODY_BYTES,
  );
  const text = `${label}\nhttps://maps.google.com/maps?q=${geo.latitude},${geo.longitude}`;
  const dataMessage: DataMessage = { body: text };
  const quote = await quoteFor(relatesTo, undefined, ctx);
  if (quote) dataMessage.quote = quote;
  return { kind: "message", dataMessage, attachments: [] };
}

async function reactionToSignal(
  relatesTo: Record<string, unknown> | undefined,
  ctx: MatrixToSignalContext,
): Promise<SignalOutgoing> {
  const eventId = asString(relatesTo?.event_id);
  const key = asString(relatesTo?.key);
  if (relatesTo?.rel_type !== "m.annotation" || !eventId || !key) {
    return { kind: "ignored", reason: "The reaction is malformed" };
  }
  if (!/\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(key)) {
    return { kind: "ignored", reason: `Signal reactions are emoji; "${key}" is not one` };
  }
  const target = await ctx.signalMessageOf(eventId);
  if (!target) return { kind: "ignored", reason: "The message reacted to is not on Signal" };
  return {
    kind: "reaction",
    dataMessage: {
      reaction: {
        emoji: key,
        remove: false,
        targetAuthorAci: target.authorAci,
        targetSentTimestamp: target.sentTimestamp,
      },
    },
  };
}
