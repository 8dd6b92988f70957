import type { signalservice } from "../proto/generated/signal.js";
import { fromBodyRanges } from "./body-ranges.js";
import { durationText } from "./duration-text.js";
import { escapeHtml } from "./html.js";
import {
  HTML_FORMAT,
  type MessageContent,
  type PollStartContent,
  type StickerContent,
} from "./matrix-content.js";
import { pickAci } from "./service-id.js";
import { attachmentToMatrix, stickerToMatrix } from "./signal-attachment-to-matrix.js";
import { MAX_INLINE_BODY_BYTES } from "./long-text.js";
import { contactToText } from "./signal-contact-to-text.js";
import {
  applyQuote,
  BRIDGED_PREVIEWS,
  linkPreviews,
  nameOf,
  noticeContent,
  textContent,
} from "./signal-text-to-matrix.js";
import { capText, fitsUtf8, jsonLength } from "./text-limits.js";
import type { MatrixAction, SignalMessageRef, SignalToMatrixContext } from "./signal-to-matrix-context.js";

type DataMessage = signalservice.IDataMessage;
type AttachmentPointer = signalservice.IAttachmentPointer;
type Part =
  | { eventType: "m.room.message"; content: MessageContent }
  | { eventType: "m.sticker"; content: StickerContent }
  | { eventType: "org.matrix.msc3381.poll.start"; content: PollStartContent };

// Bits of signalservice.DataMessage.Flags.
const END_SESSION = 1;
const EXPIRATION_TIMER_UPDATE = 2;
// signalservice.DataMessage.ProtocolVersion.CURRENT: newer messages need a newer client.
const CURRENT_PROTOCOL_VERSION = 8;

/**
 * An edit carries its text twice: as the new content, and as a fallback for clients that show
 * no edits. Past this size the fallback is only the start of the text, so the event stays small.
 */
const FULL_EDIT_FALLBACK_BYTES = 8 * 1024;

/** Signal Android shares a location as its description plus this map link (and a map image). */
const MAP_LINK = /https:\/\/maps\.google\.com\/maps\?q=(-?\d{1,2}(?:\.\d+)?)(?:,|%2C)(-?\d{1,3}(?:\.\d+)?)/i;

/**
 * The attachments of a Signal message the bridge should download and upload before calling
 * `signalMessageToMatrix`, keyed by the slot under which to pass the result in `ctx.media`.
 */
export function mediaSlotsOf(message: DataMessage): { slot: string; pointer: AttachmentPointer }[] {
  const slots: { slot: string; pointer: AttachmentPointer }[] = [];
  (message.attachments ?? []).forEach((pointer, index) =>
    slots.push({ slot: `attachment:${index}`, pointer }),
  );
  if (message.sticker?.data) slots.push({ slot: "sticker", pointer: message.sticker.data });
  (message.preview ?? []).slice(0, BRIDGED_PREVIEWS).forEach((preview, index) => {
    if (preview.image) slots.push({ slot: `preview:${index}`, pointer: preview.image });
  });
  return slots;
}

/**
 * Converts one Signal `DataMessage` sent by `senderAci` into what should happen in the portal:
 * new events (each part of the message, or a notice), a reaction, or redactions.
 */
export async function signalMessageToMatrix(
  message: DataMessage,
  senderAci: string,
  ctx: SignalToMatrixContext,
): Promise<MatrixAction[]> {
  if (message.reaction) return reactionToMatrix(message.reaction, senderAci, ctx);
  if (message.delete) {
    return redactAll(
      { authorAci: senderAci, sentTimestamp: message.delete.targetSentTimestamp ?? 0 },
      "Deleted on Signal",
      ctx,
    );
  }
  if (message.adminDelete) {
    const authorAci = pickAci(undefined, message.adminDelete.targetAuthorAciBinary);
    if (!authorAci) return [];
    const target = { authorAci, sentTimestamp: message.adminDelete.targetSentTimestamp ?? 0 };
    return redactAll(target, "Deleted by a group admin on Signal", ctx);
  }
  const poll = await pollActionOf(message, senderAci, ctx);
  if (poll) return [poll];
  const notice = await noticeFor(message, senderAci, ctx);
  if (notice) return [{ kind: "send", eventType: "m.room.message", content: notice, part: 0 }];
  return partsOf(message, ctx);
}

/**
 * Converts a Signal edit. If the edited message was bridged, its text part (the last part) is
 * replaced; otherwise the edited message is bridged as new, so it is not lost.
 */
export async function signalEditToMatrix(
  edit: signalservice.IEditMessage,
  senderAci: string,
  ctx: SignalToMatrixContext,
): Promise<MatrixAction[]> {
  const message = edit.dataMessage ?? {};
  const targetIds = await ctx.eventIdsOf({
    authorAci: senderAci,
    sentTimestamp: edit.targetSentTimestamp ?? 0,
  });
  const targetId = targetIds.at(-1);
  if (targetId === undefined) return partsOf(message, ctx);

  const newContent = await bodyContent(message, ctx);
  const fullFallback =
    jsonLength(newContent.body) + jsonLength(newContent.formatted_body ?? "") <= FULL_EDIT_FALLBACK_BYTES;
  const content: MessageContent = {
    ...newContent,
    body: `* ${fullFallback ? newContent.body : capText(newContent.body, MAX_INLINE_BODY_BYTES)}`,
    "m.new_content": newContent,
    "m.relates_to": { rel_type: "m.replace", event_id: targetId },
    // Whoever the new text mentions was notified by m.new_content's mentions already, or not at all.
    "m.mentions": {},
  };
  delete content["com.beeper.linkpreviews"];
  delete content.format;
  delete content.formatted_body;
  if (fullFallback && newContent.formatted_body !== undefined) {
    content.format = HTML_FORMAT;
    content.formatted_body = `* ${newContent.formatted_body}`;
  }
  return [{ kind: "send", eventType: "m.room.message", content }];
}

async function reactionToMatrix(
  reaction: signalservice.DataMessage.IReaction,
  reactorAci: string,
  ctx: SignalToMatrixContext,
): Promise<MatrixAction[]> {
  const authorAci = pickAci(reaction.targetAuthorAci, reaction.targetAuthorAciBinary);
  if (!authorAci) return [];
  const target = { authorAci, sentTimestamp: reaction.targetSentTimestamp ?? 0 };
  const actions: MatrixAction[] = [];
  // Signal keeps one reaction per person and message: a new one replaces the old.
  const previous = await ctx.reactionEventIdOf(reactorAci, target);
  if (previous !== undefined)
    actions.push({ kind: "redact", eventId: previous, reason: "Reaction removed on Signal" });
  const targetId = (await ctx.eventIdsOf(target))[0];
  if (!reaction.remove && reaction.emoji && targetId !== undefined) {
    actions.push({
      kind: "send",
      eventType: "m.reaction",
      content: { "m.relates_to": { rel_type: "m.annotation", event_id: targetId, key: reaction.emoji } },
    });
  }
  return actions;
}

/** Polls are limited like Signal's apps limit them, so a poll event stays small. */
const MAX_POLL_OPTIONS = 10;
const MAX_POLL_TEXT_BYTES = 400;

/**
 * A Signal poll as an MSC3381 poll. Answer ids are the option indexes ("0", "1" ...), which
 * Signal votes name, so votes need no table. The text fallback lists the options.
 */
function pollStart(poll: signalservice.DataMessage.IPollCreate): PollStartContent {
  const question = capText(poll.question ?? "", MAX_POLL_TEXT_BYTES);
  const options = (poll.options ?? [])
    .slice(0, MAX_POLL_OPTIONS)
    .map((option) => capText(option, MAX_POLL_TEXT_BYTES));
  const lines = [`Poll: ${question}`, ...options.map((option, index) => `${index + 1}. ${option}`)];
  if (poll.allowMultiple) lines.push("(several answers allowed)");
  const fallback = lines.join("\n");
  return {
    "org.matrix.msc3381.poll.start": {
      question: { "org.matrix.msc1767.text": question },
      kind: "org.matrix.msc3381.poll.disclosed",
      max_selections: poll.allowMultiple ? Math.max(1, options.length) : 1,
      answers: options.map((option, index) => ({ id: String(index), "org.matrix.msc1767.text": option })),
    },
    "org.matrix.msc1767.text": fallback,
    body: fallback,
    msgtype: "m.text",
  };
}

/**
 * A vote as the voter's MSC3381 response (the latest response counts, so a changed vote is a
 * new response; no options withdraws the vote), and the end of a poll as an MSC3381 end. Undefined
 * when the poll was not bridged: a notice says what happened instead.
 */
async function pollActionOf(
  message: DataMessage,
  senderAci: string,
  ctx: SignalToMatrixContext,
): Promise<MatrixAction | undefined> {
  if (message.pollVote) {
    const vote = message.pollVote;
    const target = targetOf(vote.targetAuthorAciBinary, vote.targetSentTimestamp);
    const pollId = target ? (await ctx.eventIdsOf(target))[0] : undefined;
    if (pollId === undefined) return undefined;
    const answerIds = await ctx.pollAnswersOf?.(pollId);
    const answers = [...new Set(vote.optionIndexes ?? [])]
      .filter((index) => index < (answerIds?.length ?? MAX_POLL_OPTIONS))
      .map((index) => answerIds?.[index] ?? String(index));
    return {
      kind: "send",
      eventType: "org.matrix.msc3381.poll.response",
      content: {
        "org.matrix.msc3381.poll.response": { answers },
        "m.relates_to": { rel_type: "m.reference", event_id: pollId },
      },
      part: 0,
    };
  }
  if (message.pollTerminate) {
    // Only a poll's author can end it.
    const target = { authorAci: senderAci, sentTimestamp: message.pollTerminate.targetSentTimestamp ?? 0 };
    const pollId = (await ctx.eventIdsOf(target))[0];
    if (pollId === undefined) return undefined;
    return {
      kind: "send",
      eventType: "org.matrix.msc3381.poll.end",
      content: {
        "org.matrix.msc3381.poll.end": {},
        "org.matrix.msc1767.text": "Ended the poll",
        body: "Ended the poll",
        msgtype: "m.text",
        "m.relates_to": { rel_type: "m.reference", event_id: pollId },
      },
      part: 0,
    };
  }
  return undefined;
}

async function redactAll(
  target: SignalMessageRef,
  reason: string,
  ctx: SignalToMatrixContext,
): Promise<MatrixAction[]> {
  return (await ctx.eventIdsOf(target)).map((eventId) => ({ kind: "redact", eventId, reason }));
}

async function replyNotice(
  body: string,
  target: SignalMessageRef | undefined,
  ctx: SignalToMatrixContext,
): Promise<MessageContent> {
  const content = noticeContent(body);
  const eventId = target ? (await ctx.eventIdsOf(target))[0] : undefined;
  if (eventId !== undefined) content["m.relates_to"] = { "m.in_reply_to": { event_id: eventId } };
  return content;
}

function targetOf(aciBinary: Uint8Array | null | undefined, sentTimestamp: number | null | undefined) {
  const authorAci = pickAci(undefined, aciBinary);
  return authorAci ? { authorAci, sentTimestamp: sentTimestamp ?? 0 } : undefined;
}

/** Messages that are about something rather than content: shown as one notice each. */
async function noticeFor(
  message: DataMessage,
  senderAci: string,
  ctx: SignalToMatrixContext,
): Promise<MessageContent | undefined> {
  const flags = message.flags ?? 0;
  if (message.pinMessage) {
    const pin = message.pinMessage;
    const until = pin.pinDurationSeconds ? ` for ${durationText(pin.pinDurationSeconds)}` : "";
    return replyNotice(
      `Pinned a message${until}`,
      targetOf(pin.targetAuthorAciBinary, pin.targetSentTimestamp),
      ctx,
    );
  }
  if (message.unpinMessage) {
    const unpin = message.unpinMessage;
    return replyNotice(
      "Unpinned a message",
      targetOf(unpin.targetAuthorAciBinary, unpin.targetSentTimestamp),
      ctx,
    );
  }
  if (message.pollVote) {
    const vote = message.pollVote;
    const options = (vote.optionIndexes ?? []).map((index) => index + 1);
    const text =
      options.length > 0 ? `Voted for option ${options.join(", ")} in a poll` : "Removed their poll vote";
    return replyNotice(text, targetOf(vote.targetAuthorAciBinary, vote.targetSentTimestamp), ctx);
  }
  if (message.pollTerminate) {
    // Only a poll's author can end it.
    const target = { authorAci: senderAci, sentTimestamp: message.pollTerminate.targetSentTimestamp ?? 0 };
    return replyNotice("Ended the poll", target, ctx);
  }
  if (flags & END_SESSION) return noticeContent("Reset the secure session with you");
  if (flags & EXPIRATION_TIMER_UPDATE) {
    const seconds = message.expireTimer ?? 0;
    return noticeContent(
      seconds > 0
        ? `Set disappearing messages to ${durationText(seconds)}`
        : "Turned off disappearing messages",
    );
  }
  if (message.groupCallUpdate) return noticeContent("Started a group call. Join it from a Signal app.");
  if (message.payment) {
    const payment = message.payment;
    if (payment.activation) {
      return noticeContent(
        payment.activation.type === 1
          ? "Activated payments on Signal"
          : "Asked you to activate payments. Do it in a Signal app.",
      );
    }
    const note = payment.notification?.note?.trim();
    return noticeContent(`Sent you a payment${note ? `: "${note}"` : ""}. See it in a Signal app.`);
  }
  if (message.giftBadge) return noticeContent("Sent you a gift badge. Redeem it in a Signal app.");
  if ((message.requiredProtocolVersion ?? 0) > CURRENT_PROTOCOL_VERSION) {
    return noticeContent("Sent a kind of message this bridge cannot show yet. View it in a Signal app.");
  }
  return undefined;
}

/** The parts of a content message, in the order they are sent. */
async function partsOf(message: DataMessage, ctx: SignalToMatrixContext): Promise<MatrixAction[]> {
  const contents: Part[] = [];
  const viewOnce = message.isViewOnce === true;

  (message.attachments ?? []).forEach((pointer, index) => {
    const media = ctx.media.get(`attachment:${index}`);
    const content = media
      ? attachmentToMatrix(pointer, media, viewOnce)
      : noticeContent(
          `An attachment (${pointer.fileName || pointer.contentType || "file"}) could not be bridged. View it in a Signal app.`,
        );
    contents.push({ eventType: "m.room.message", content });
  });

  if (message.sticker) {
    const media = ctx.media.get("sticker");
    if (media) {
      contents.push({ eventType: "m.sticker", content: stickerToMatrix(message.sticker, media) });
    } else {
      const emoji = message.sticker.emoji ? ` ${message.sticker.emoji}` : "";
      contents.push({
        eventType: "m.room.message",
        content: noticeContent(`Sent a sticker${emoji} that could not be bridged. View it in a Signal app.`),
      });
    }
  }

  for (const contact of message.contact ?? []) {
    contents.push({
      eventType: "m.room.message",
      content: await textContent({ text: contactToText(contact), ranges: [] }, ctx),
    });
  }

  if (message.pollCreate) {
    contents.push({ eventType: "org.matrix.msc3381.poll.start", content: pollStart(message.pollCreate) });
  }

  if (message.body || message.storyContext) {
    contents.push({ eventType: "m.room.message", content: await bodyContent(message, ctx) });
  }

  const first = contents[0];
  if (message.quote && first && first.eventType === "m.room.message") {
    await applyQuote(first.content, message.quote, ctx);
  }

  return contents.map((entry, part): MatrixAction => ({ kind: "send", ...entry, part }));
}

/** The text part: styled text, a location, a story reply; with link previews. */
async function bodyContent(message: DataMessage, ctx: SignalToMatrixContext): Promise<MessageContent> {
  const body = message.body ?? "";
  const location = MAP_LINK.exec(body);
  let content: MessageContent;
  if (location && (message.bodyRanges ?? []).length === 0 && fitsUtf8(body, MAX_INLINE_BODY_BYTES)) {
    content = { msgtype: "m.location", body, geo_uri: `geo:${location[1]},${location[2]}`, "m.mentions": {} };
  } else {
    content = await textContent(fromBodyRanges(body, message.bodyRanges), ctx);
  }

  const story = message.storyContext;
  const storyAuthor = story ? pickAci(story.authorAci, story.authorAciBinary) : undefined;
  if (story && content.msgtype === "m.text") {
    const whose = storyAuthor ? `${await nameOf(storyAuthor, ctx)}'s story` : "a story";
    const html = content.formatted_body ?? escapeHtml(content.body).replace(/\n/g, "<br>");
    content.body = `> Replied to ${whose}\n\n${content.body}`;
    content.format = "org.matrix.custom.html";
    content.formatted_body = `<blockquote>Replied to ${escapeHtml(whose)}</blockquote>${html}`;
  }

  const previews = linkPreviews(message.preview ?? [], ctx);
  if (previews.length > 0) content["com.beeper.linkpreviews"] = previews;
  return content;
}
