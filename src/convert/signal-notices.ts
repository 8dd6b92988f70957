import type { signalservice } from "../proto/generated/signal.js";
import { fromBodyRanges } from "./body-ranges.js";
import type { MessageContent } from "./matrix-content.js";
import { nameOf, noticeContent, renderSignalText } from "./signal-text-to-matrix.js";
import type { SignalToMatrixContext } from "./signal-to-matrix-context.js";

// Values of signalservice.CallMessage.Offer.Type, CallMessage.Hangup.Type and SyncMessage.CallEvent.*.
const OFFER_VIDEO_CALL = 1;
const HANGUP_ACCEPTED = 1;
const HANGUP_DECLINED = 2;
const HANGUP_BUSY = 3;
const CALL_EVENT_VIDEO = 2;
const CALL_EVENT_GROUP = 3;
const CALL_EVENT_AD_HOC = 4;
const CALL_EVENT_OUTGOING = 2;
const CALL_EVENT_ACCEPTED = 1;
const CALL_EVENT_NOT_ACCEPTED = 2;

/**
 * A notice for 1:1 call signalling, sent as the caller. Only the offer and the end of a call
 * are worth showing; the rest (answers, ICE candidates) is machinery.
 */
export function signalCallToMatrix(call: signalservice.ICallMessage): MessageContent | undefined {
  if (call.offer) {
    const kind = call.offer.type === OFFER_VIDEO_CALL ? "video" : "voice";
    return noticeContent(`Started a ${kind} call. Answer it in a Signal app.`);
  }
  if (call.hangup) {
    switch (call.hangup.type) {
      case HANGUP_ACCEPTED:
        return noticeContent("The call was answered on another device");
      case HANGUP_DECLINED:
        return noticeContent("The call was declined");
      case HANGUP_BUSY:
        return noticeContent("The call was not answered: busy");
      default:
        return noticeContent("The call ended");
    }
  }
  if (call.busy) return noticeContent("The call was not answered: busy");
  return undefined;
}

/** A notice for a call the user took part in on another device (a call-event sync message). */
export function signalCallEventToMatrix(
  event: signalservice.SyncMessage.ICallEvent,
): MessageContent | undefined {
  const kind =
    event.type === CALL_EVENT_VIDEO
      ? "video call"
      : event.type === CALL_EVENT_GROUP || event.type === CALL_EVENT_AD_HOC
        ? "group call"
        : "voice call";
  const outgoing = event.direction === CALL_EVENT_OUTGOING;
  if (event.event === CALL_EVENT_ACCEPTED)
    return noticeContent(`${outgoing ? "Outgoing" : "Incoming"} ${kind}`);
  if (event.event === CALL_EVENT_NOT_ACCEPTED) {
    return noticeContent(outgoing ? `Unanswered ${kind}` : `Missed ${kind}`);
  }
  return undefined;
}

/** A notice for a Signal story, with its text if it is a text story. */
export async function signalStoryToMatrix(
  story: signalservice.IStoryMessage,
  ctx: SignalToMatrixContext,
): Promise<MessageContent> {
  const text = story.textAttachment?.text;
  if (text) {
    const rendered = await renderSignalText(fromBodyRanges(text, story.bodyRanges), ctx);
    return noticeContent(`Posted a story: ${rendered.body}`, `Posted a story:<br>${rendered.html}`);
  }
  const link = story.textAttachment?.preview?.url;
  if (link) return noticeContent(`Posted a story with a link: ${link}`);
  const type = story.fileAttachment?.contentType?.split("/")[0];
  const what = type === "image" ? "a photo" : type === "video" ? "a video" : "something";
  return noticeContent(`Posted a story with ${what}. View it in a Signal app.`);
}

/** A notice that a contact's safety number changed, naming the contact. */
export async function safetyNumberChangedNotice(
  aci: string,
  ctx: SignalToMatrixContext,
): Promise<MessageContent> {
  return noticeContent(
    `Your safety number with ${await nameOf(aci, ctx)} changed. ` +
      "They may have reinstalled Signal or changed devices; verify it in a Signal app if in doubt.",
  );
}

/** A notice that a message from a contact could not be decrypted, and that a retry was requested. */
export async function decryptionFailedNotice(
  aci: string,
  ctx: SignalToMatrixContext,
): Promise<MessageContent> {
  return noticeContent(
    `A message from ${await nameOf(aci, ctx)} could not be decrypted. ` +
      "Signal was asked to send it again; it will appear here if that works.",
  );
}
