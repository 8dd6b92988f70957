/**
 * Signal's long messages. A body of more than `MAX_INLINE_BODY_BYTES` travels as its start,
 * inline, plus an attachment of type `text/x-signal-plain` holding the whole text in UTF-8;
 * receivers show the attachment's text in place of the inline body and never as a file. The
 * body ranges describe the whole text: Signal Desktop and Android send them unchanged with the
 * cut body and apply them to the attachment's text, so a receiver that only has the inline body
 * clamps them to it (as `normalizeRanges` does).
 */
import type { signalservice } from "../proto/generated/signal.js";
import { fitsUtf8, MAX_TEXT_BYTES, utf8PrefixLength } from "./text-limits.js";

type DataMessage = signalservice.IDataMessage;
type AttachmentPointer = signalservice.IAttachmentPointer;

export const LONG_TEXT_CONTENT_TYPE = "text/x-signal-plain";

/**
 * The longest body sent inline: Signal Desktop's `MAX_MESSAGE_BODY_BYTE_LENGTH` and Android's
 * `MAX_INLINE_BODY_SIZE_BYTES`. Android drops an incoming message with a longer inline body.
 */
export const MAX_INLINE_BODY_BYTES = 2 * 1024;

/** The most long text the bridge reads from Signal (Signal's own limit, see `MAX_TEXT_BYTES`). */
export const MAX_LONG_TEXT_BYTES = MAX_TEXT_BYTES;

/** Ends the inline body when the whole text could not be downloaded, so the cut does not go unnoticed. */
export const LONG_TEXT_MISSING_NOTE =
  "\n\n[This message is longer; the rest could not be bridged. Read it in a Signal app.]";

/**
 * A body as Signal sends it: `undefined` if it fits inline; else its start, cut on a code point
 * boundary to fit `MAX_INLINE_BODY_BYTES`, and the whole text for the long-text attachment.
 */
export function splitLongBody(body: string): { inlineBody: string; text: string } | undefined {
  if (fitsUtf8(body, MAX_INLINE_BODY_BYTES)) return undefined;
  return { inlineBody: body.slice(0, utf8PrefixLength(body, MAX_INLINE_BODY_BYTES)), text: body };
}

export function isLongTextAttachment(pointer: AttachmentPointer): boolean {
  return pointer.contentType?.split(";")[0]?.trim().toLowerCase() === LONG_TEXT_CONTENT_TYPE;
}

/** The long-text attachment of a received message; like Signal's apps, the first one counts. */
export function longTextAttachmentOf(message: DataMessage): AttachmentPointer | undefined {
  return (message.attachments ?? []).find(isLongTextAttachment);
}

/**
 * A received message as its sender wrote it: the long-text attachment's `text` as its body and
 * no long-text attachment among its files. `text` undefined means the download failed: the
 * inline body is kept, with the ranges that fit in it, and ends with `LONG_TEXT_MISSING_NOTE`.
 */
export function withLongText(message: DataMessage, text: string | undefined): DataMessage {
  const attachments = (message.attachments ?? []).filter((pointer) => !isLongTextAttachment(pointer));
  const inline = message.body ?? "";
  const fields =
    text === undefined
      ? {
          body: `${inline}${LONG_TEXT_MISSING_NOTE}`,
          bodyRanges: clipRanges(message.bodyRanges ?? [], inline.length),
          attachments,
        }
      : { body: text, attachments };
  // A decoded protobuf message keeps its fields' defaults on its prototype: copy that too.
  const copy = Object.create(Object.getPrototypeOf(message) as object) as DataMessage;
  return Object.assign(copy, message, fields);
}

/** The ranges (of the whole text) as far as they lie in its first `length` code units; mentions only whole. */
function clipRanges(ranges: readonly signalservice.IBodyRange[], length: number): signalservice.IBodyRange[] {
  const clipped: signalservice.IBodyRange[] = [];
  for (const range of ranges) {
    const start = range.start ?? 0;
    const end = start + (range.length ?? 0);
    const mention = range.mentionAci || range.mentionAciBinary?.length;
    if (start >= length || (mention && end > length)) continue;
    clipped.push({ ...range, length: Math.min(end, length) - start });
  }
  return clipped;
}
