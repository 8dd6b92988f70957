// Sending to a chat the way a linked device must: to every recipient (sealed where we can, with
// our sender key in groups), then as a sent transcript to our own other devices so the phone
// shows it too.
import { Aci, ContentHint } from "@signalapp/libsignal-client";
import { signalservice } from "../proto/generated/signal.js";
import { SendError } from "./errors.js";
import { GroupCipher } from "./groups/group-cipher.js";
import {
  readSyncContent,
  receiptContent,
  reactionMessage,
  remoteDeleteMessage,
  typingContent,
  viewedSyncContent,
  type MessageRead,
  type ReactionInput,
  type ReceiptType,
  type TypingAction,
} from "./send/content-builders.js";
import { sendToGroup, type Delivery } from "./send/group-send.js";
import type { SendContext } from "./send/send-context.js";
import type { SignalClient } from "./signal-client.js";

/** Where a message goes. */
export type Destination =
  | { kind: "direct"; aci: string }
  | { kind: "group"; masterKey: Uint8Array; revision: number; memberAcis: readonly string[] };

export interface SentMessage {
  /** The message's Signal timestamp; with our ACI it identifies the message. */
  timestamp: number;
  /** Recipients it could not be delivered to (the others got it). */
  failed: Array<{ aci: string; error: Error }>;
  /**
   * Why our other devices (the phone) did not get the sent transcript, or null when they did.
   * The recipients got the message either way.
   */
  transcriptError?: Error | null;
}

interface DeliverOptions {
  timestamp: number;
  online?: boolean;
  urgent?: boolean;
  contentHint?: ContentHint;
}

interface Delivered {
  delivered: Delivery[];
  failed: SentMessage["failed"];
}

function recipientsOf(context: SendContext, destination: Destination): string[] {
  const ownAci = context.account.aci;
  if (destination.kind === "direct") return destination.aci === ownAci ? [] : [destination.aci];
  return [...new Set(destination.memberAcis)].filter((aci) => aci !== ownAci);
}

/** Sends `content` to the recipients of `destination`; throws when it reached none of them. */
function deliver(
  context: SendContext,
  destination: Destination,
  content: Uint8Array,
  options: DeliverOptions,
): Promise<Delivered> {
  return context.measured("send", destination.kind, () => deliverNow(context, destination, content, options));
}

async function deliverNow(
  context: SendContext,
  destination: Destination,
  content: Uint8Array,
  options: DeliverOptions,
): Promise<Delivered> {
  const recipients = recipientsOf(context, destination);
  let result: Delivered;
  if (destination.kind === "group") {
    result = await sendToGroup(context, {
      masterKey: destination.masterKey,
      recipients,
      content,
      ...options,
    });
  } else {
    result = { delivered: [], failed: [] };
    for (const aci of recipients) {
      try {
        const sent = await context
          .sender()
          .sendToServiceId(
            aci,
            { kind: "content", content },
            { ...options, accessKey: await context.accessKeyFor(aci) },
          );
        result.delivered.push({ serviceId: aci, unidentified: sent.unidentified });
      } catch (error) {
        result.failed.push({ aci, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
  }
  if (recipients.length > 0 && result.delivered.length === 0) {
    const first = result.failed[0]?.error;
    // A typed reason (rate limit, unregistered, untrusted identity) reaches the caller as itself.
    if (first instanceof SendError) throw first;
    throw new SendError(`The message could not be delivered: ${first?.message ?? "no recipient"}`, {
      cause: first,
    });
  }
  return result;
}

/** Sends a SyncMessage (a transcript or a read/viewed list) to our other devices. */
async function syncToOwnDevices(context: SendContext, content: signalservice.IContent, timestamp: number) {
  await context.measured("send", "own_devices", () =>
    context
      .sender()
      .sendToServiceId(
        context.account.aci,
        { kind: "content", content: signalservice.Content.encode(content).finish() },
        { timestamp, contentHint: ContentHint.Resendable },
      ),
  );
}

async function sendTranscript(
  context: SendContext,
  destination: Destination,
  timestamp: number,
  body: { message?: signalservice.IDataMessage; editMessage?: signalservice.IEditMessage },
  delivered: readonly Delivery[],
): Promise<Error | null> {
  try {
    await syncToOwnDevices(
      context,
      {
        syncMessage: {
          sent: {
            timestamp,
            ...body,
            // Our disappearing messages count down from their sending, on the phone too.
            ...(expireTimerOf(body) ? { expirationStartTimestamp: timestamp } : {}),
            ...(destination.kind === "direct" ? { destinationServiceId: destination.aci } : {}),
            unidentifiedStatus: delivered.map((d) => ({
              destinationServiceId: d.serviceId,
              unidentified: d.unidentified,
            })),
          },
        },
      },
      timestamp,
    );
    return null;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function expireTimerOf(body: {
  message?: signalservice.IDataMessage;
  editMessage?: signalservice.IEditMessage;
}) {
  return (body.message ?? body.editMessage?.dataMessage)?.expireTimer ?? 0;
}

/** `message` as it goes on the wire: with its timestamp, the group context and our profile key. */
function completeDataMessage(
  context: SendContext,
  destination: Destination,
  message: signalservice.IDataMessage,
  timestamp: number,
): signalservice.IDataMessage {
  const profileKey = context.account.profileKey;
  return {
    ...message,
    timestamp,
    // Contacts need our profile key to show our name and avatar, and to send to us sealed.
    ...(profileKey && !message.profileKey ? { profileKey } : {}),
    ...(destination.kind === "group"
      ? { groupV2: { ...message.groupV2, masterKey: destination.masterKey, revision: destination.revision } }
      : {}),
  };
}

/**
 * Sends `message` with `timestamp` to `destination` and a transcript to our other devices.
 * Throws SendError (or one of its typed subclasses) when nobody could be reached.
 */
export async function sendDataMessage(
  client: SignalClient,
  destination: Destination,
  message: signalservice.IDataMessage,
  timestamp: number,
): Promise<SentMessage> {
  const context = client.sendContext;
  const dataMessage = completeDataMessage(context, destination, message, timestamp);
  const content = signalservice.Content.encode({ dataMessage }).finish();
  const { delivered, failed } = await deliver(context, destination, content, {
    timestamp,
    contentHint: ContentHint.Resendable,
  });
  const transcriptError = await sendTranscript(
    context,
    destination,
    timestamp,
    { message: dataMessage },
    delivered,
  );
  return { timestamp, failed, transcriptError };
}

/** Replaces the content of our message sent at `targetTimestamp` (Signal's "edit"). */
export async function sendEdit(
  client: SignalClient,
  destination: Destination,
  targetTimestamp: number,
  message: signalservice.IDataMessage,
  timestamp: number,
): Promise<SentMessage> {
  const context = client.sendContext;
  const editMessage: signalservice.IEditMessage = {
    targetSentTimestamp: targetTimestamp,
    dataMessage: completeDataMessage(context, destination, message, timestamp),
  };
  const content = signalservice.Content.encode({ editMessage }).finish();
  const { delivered, failed } = await deliver(context, destination, content, {
    timestamp,
    contentHint: ContentHint.Resendable,
  });
  const transcriptError = await sendTranscript(context, destination, timestamp, { editMessage }, delivered);
  return { timestamp, failed, transcriptError };
}

/** Adds (or with `remove`, takes back) a reaction to a message. */
export function sendReaction(
  client: SignalClient,
  destination: Destination,
  reaction: ReactionInput,
  timestamp: number,
): Promise<SentMessage> {
  return sendDataMessage(client, destination, reactionMessage(reaction), timestamp);
}

/** Deletes our message sent at `targetTimestamp` for everyone. */
export function sendDelete(
  client: SignalClient,
  destination: Destination,
  targetTimestamp: number,
  timestamp: number,
): Promise<SentMessage> {
  return sendDataMessage(client, destination, remoteDeleteMessage(targetTimestamp), timestamp);
}

/** Tells the sender of messages (by their timestamps) that we received, read or viewed them. */
export async function sendReceipt(
  client: SignalClient,
  senderAci: string,
  type: ReceiptType,
  timestamps: readonly number[],
  timestamp: number = Date.now(),
): Promise<void> {
  if (timestamps.length === 0) return;
  const context = client.sendContext;
  const content = signalservice.Content.encode(receiptContent(type, timestamps)).finish();
  await deliver(context, { kind: "direct", aci: senderAci }, content, {
    timestamp,
    urgent: false,
    contentHint: ContentHint.Resendable,
  });
}

/**
 * Shows or hides the typing indicator in a chat. Online-only: recipients not connected right now
 * never see it, and failures are reported but harmless.
 */
export async function sendTyping(
  client: SignalClient,
  destination: Destination,
  action: TypingAction,
  timestamp: number = Date.now(),
): Promise<SentMessage> {
  const context = client.sendContext;
  const groupId = destination.kind === "group" ? new GroupCipher(destination.masterKey).groupId : null;
  const content = signalservice.Content.encode(typingContent(action, timestamp, groupId)).finish();
  const { failed } = await deliver(context, destination, content, {
    timestamp,
    online: true,
    urgent: false,
    contentHint: ContentHint.Implicit,
  });
  return { timestamp, failed, transcriptError: null };
}

/** Tells our other devices (the phone) that we read these messages, so they stop showing them unread. */
export async function sendReadSync(
  client: SignalClient,
  reads: readonly MessageRead[],
  timestamp: number = Date.now(),
): Promise<void> {
  if (reads.length === 0) return;
  await syncToOwnDevices(client.sendContext, readSyncContent(reads), timestamp);
}

/** What we answered to a message request (of a contact, or of a group). */
export type MessageRequestAnswer = "accept" | "block" | "unblock";

/**
 * Tells our other devices (the phone) how we answered a chat's message request, so they follow:
 * accepted, or blocked. Unblocking is told as accepting, as Signal's apps do.
 */
export async function sendMessageRequestResponse(
  client: SignalClient,
  chat: { aci: string } | { groupId: Uint8Array },
  answer: MessageRequestAnswer,
  timestamp: number = Date.now(),
): Promise<void> {
  const Type = signalservice.SyncMessage.MessageRequestResponse.Type;
  const messageRequestResponse: signalservice.SyncMessage.IMessageRequestResponse = {
    type: answer === "block" ? Type.BLOCK : Type.ACCEPT,
    ...("aci" in chat
      ? { threadAci: chat.aci, threadAciBinary: Aci.fromUuid(chat.aci).getRawUuidBytes() }
      : { groupId: chat.groupId }),
  };
  await syncToOwnDevices(client.sendContext, { syncMessage: { messageRequestResponse } }, timestamp);
}

/** Tells our other devices that we viewed these (view-once or story-like) messages. */
export async function sendViewedSync(
  client: SignalClient,
  views: readonly MessageRead[],
  timestamp: number = Date.now(),
): Promise<void> {
  if (views.length === 0) return;
  await syncToOwnDevices(client.sendContext, viewedSyncContent(views), timestamp);
}
