// Builders for the Signal content a client sends. Pure: they only shape protobuf objects, so a
// caller (the bridge, or convert/) can compose them and hand the result to outgoing-message.ts.
import { Aci } from "@signalapp/libsignal-client";
import { signalservice } from "../../proto/generated/signal.js";

/** A style or a mention over a UTF-16 range of the body. */
export type BodyRangeInput =
  | { start: number; length: number; style: "bold" | "italic" | "spoiler" | "strikethrough" | "monospace" }
  | { start: number; length: number; mentionAci: string };

const STYLES = {
  bold: signalservice.BodyRange.Style.BOLD,
  italic: signalservice.BodyRange.Style.ITALIC,
  spoiler: signalservice.BodyRange.Style.SPOILER,
  strikethrough: signalservice.BodyRange.Style.STRIKETHROUGH,
  monospace: signalservice.BodyRange.Style.MONOSPACE,
} as const;

// Receivers read the binary form; older ones still read the string, so both are sent.
function aciBinary(aci: string): Uint8Array {
  return Aci.fromUuid(aci).getRawUuidBytes();
}

export function bodyRanges(ranges: readonly BodyRangeInput[]): signalservice.IBodyRange[] {
  return ranges.map((range) =>
    "style" in range
      ? { start: range.start, length: range.length, style: STYLES[range.style] }
      : // Style and mention share a oneof on the wire: only one of mentionAci/mentionAciBinary fits.
        { start: range.start, length: range.length, mentionAci: range.mentionAci },
  );
}

/** Text, with styles and mentions. A mention's range covers a placeholder (Signal uses U+FFFC). */
export function textMessage(
  body: string,
  ranges: readonly BodyRangeInput[] = [],
): signalservice.IDataMessage {
  return ranges.length > 0 ? { body, bodyRanges: bodyRanges(ranges) } : { body };
}

export interface QuoteInput {
  /** Sent timestamp of the message replied to. */
  targetSentTimestamp: number;
  targetAuthorAci: string;
  /** The quoted text as the recipient should see it if they lack the original. */
  text?: string;
  ranges?: readonly BodyRangeInput[];
  attachments?: ReadonlyArray<{ contentType: string; fileName?: string }>;
}

/** `message` as a reply to another message. */
export function withQuote(
  message: signalservice.IDataMessage,
  quote: QuoteInput,
): signalservice.IDataMessage {
  return {
    ...message,
    quote: {
      id: quote.targetSentTimestamp,
      authorAci: quote.targetAuthorAci,
      authorAciBinary: aciBinary(quote.targetAuthorAci),
      text: quote.text ?? null,
      bodyRanges: quote.ranges ? bodyRanges(quote.ranges) : [],
      attachments: (quote.attachments ?? []).map((a) => ({
        contentType: a.contentType,
        fileName: a.fileName,
      })),
      type: signalservice.DataMessage.Quote.Type.NORMAL,
    },
  };
}

export interface ReactionInput {
  emoji: string;
  /** True to take the reaction back (emoji must be the one reacted with). */
  remove?: boolean;
  targetAuthorAci: string;
  targetSentTimestamp: number;
}

export function reactionMessage(reaction: ReactionInput): signalservice.IDataMessage {
  return {
    reaction: {
      emoji: reaction.emoji,
      remove: reaction.remove ?? false,
      targetAuthorAci: reaction.targetAuthorAci,
      targetAuthorAciBinary: aciBinary(reaction.targetAuthorAci),
      targetSentTimestamp: reaction.targetSentTimestamp,
    },
  };
}

/** Deletes one of our own messages for everyone. */
export function remoteDeleteMessage(targetSentTimestamp: number): signalservice.IDataMessage {
  return { delete: { targetSentTimestamp } };
}

/** Files (pointers from uploadAttachment), optionally with a caption as body. */
export function attachmentMessage(
  attachments: readonly signalservice.IAttachmentPointer[],
  body?: string,
  ranges: readonly BodyRangeInput[] = [],
): signalservice.IDataMessage {
  return { ...(body ? textMessage(body, ranges) : {}), attachments: [...attachments] };
}

export interface StickerInput {
  packId: Uint8Array;
  packKey: Uint8Array;
  stickerId: number;
  /** The sticker image, uploaded like any attachment. */
  data: signalservice.IAttachmentPointer;
  emoji?: string;
}

export function stickerMessage(sticker: StickerInput): signalservice.IDataMessage {
  return {
    sticker: {
      packId: sticker.packId,
      packKey: sticker.packKey,
      stickerId: sticker.stickerId,
      data: sticker.data,
      emoji: sticker.emoji ?? null,
    },
  };
}

/**
 * Sets the disappearing-messages timer of a 1:1 chat (0 turns it off). `version` must grow with
 * each change so that receivers ignore stale updates. Groups change their timer with a group change.
 */
export function expirationTimerUpdate(seconds: number, version: number): signalservice.IDataMessage {
  return {
    flags: signalservice.DataMessage.Flags.EXPIRATION_TIMER_UPDATE,
    expireTimer: seconds,
    expireTimerVersion: version,
  };
}

/** Shares our profile key without other content (outgoing-message.ts adds the key itself). */
export function profileKeyUpdate(): signalservice.IDataMessage {
  return { flags: signalservice.DataMessage.Flags.PROFILE_KEY_UPDATE };
}

export type ReceiptType = "delivery" | "read" | "viewed";

const RECEIPT_TYPES = {
  delivery: signalservice.ReceiptMessage.Type.DELIVERY,
  read: signalservice.ReceiptMessage.Type.READ,
  viewed: signalservice.ReceiptMessage.Type.VIEWED,
} as const;

export function receiptContent(type: ReceiptType, timestamps: readonly number[]): signalservice.IContent {
  return { receiptMessage: { type: RECEIPT_TYPES[type], timestamp: [...timestamps] } };
}

export type TypingAction = "started" | "stopped";

export function typingContent(
  action: TypingAction,
  timestamp: number,
  groupId: Uint8Array | null,
): signalservice.IContent {
  return {
    typingMessage: {
      timestamp,
      action:
        action === "started"
          ? signalservice.TypingMessage.Action.STARTED
          : signalservice.TypingMessage.Action.STOPPED,
      ...(groupId ? { groupId } : {}),
    },
  };
}

/** A message of someone else that we read or viewed (in Matrix), for our own devices. */
export interface MessageRead {
  senderAci: string;
  timestamp: number;
}

export function readSyncContent(reads: readonly MessageRead[]): signalservice.IContent {
  return {
    syncMessage: {
      read: reads.map(({ senderAci, timestamp }) => ({
        senderAci,
        senderAciBinary: aciBinary(senderAci),
        timestamp,
      })),
    },
  };
}

export function viewedSyncContent(views: readonly MessageRead[]): signalservice.IContent {
  return {
    syncMessage: {
      viewed: views.map(({ senderAci, timestamp }) => ({
        senderAci,
        senderAciBinary: aciBinary(senderAci),
        timestamp,
      })),
    },
  };
}
