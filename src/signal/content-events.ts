// Turns a buffered item into the event the consumer sees (pure; used live and on replay).
import { Aci } from "@signalapp/libsignal-client";
import { signalservice } from "../proto/generated/signal.js";
import type { BufferedItem } from "./buffered-item.js";
import type { BufferedSignalEvent } from "./events.js";

/** Reads an ACI from the binary form (newer senders) or the string form (older ones). */
export function aciFrom(
  binary: Uint8Array | null | undefined,
  text: string | null | undefined,
): string | null {
  if (binary && binary.length === 16) return Aci.fromUuidBytes(binary).getRawUuid();
  return text ? text.toLowerCase() : null;
}

function groupKey(message: signalservice.DataMessage.$Properties | null | undefined): Uint8Array | null {
  const key = message?.groupV2?.masterKey;
  return key && key.length > 0 ? key : null;
}

const RECEIPT_KINDS = {
  [signalservice.ReceiptMessage.Type.DELIVERY]: "delivery",
  [signalservice.ReceiptMessage.Type.READ]: "read",
  [signalservice.ReceiptMessage.Type.VIEWED]: "viewed",
} as const;

/** The event for a buffered item, or null when the content is nothing a consumer acts on. */
export function eventFromItem(id: string, item: BufferedItem): BufferedSignalEvent | null {
  if (item.kind === "failed") {
    return {
      type: "decryption-error",
      id,
      sender: item.sender,
      timestamp: item.timestamp,
      serverTimestamp: item.serverTimestamp,
      reason: item.reason,
    };
  }
  const base = {
    id,
    sender: item.sender,
    timestamp: item.timestamp,
    serverTimestamp: item.serverTimestamp,
    sealed: item.sealed,
  };
  const content = signalservice.Content.decode(item.content);

  if (content.dataMessage) {
    const message = signalservice.DataMessage.fromObject(content.dataMessage);
    const groupMasterKey = groupKey(message);
    if (message.reaction) {
      return {
        ...base,
        type: "reaction",
        emoji: message.reaction.emoji ?? "",
        remove: message.reaction.remove ?? false,
        targetAuthorAci:
          aciFrom(message.reaction.targetAuthorAciBinary, message.reaction.targetAuthorAci) ?? "",
        targetTimestamp: Number(message.reaction.targetSentTimestamp ?? 0),
        groupMasterKey,
      };
    }
    if (message.delete) {
      return {
        ...base,
        type: "delete",
        targetTimestamp: Number(message.delete.targetSentTimestamp ?? 0),
        groupMasterKey,
      };
    }
    return { ...base, type: "message", message, groupMasterKey };
  }

  if (content.editMessage?.dataMessage) {
    const message = signalservice.DataMessage.fromObject(content.editMessage.dataMessage);
    return {
      ...base,
      type: "edit",
      targetTimestamp: Number(content.editMessage.targetSentTimestamp ?? 0),
      message,
      groupMasterKey: groupKey(message),
    };
  }

  const sync = content.syncMessage;
  if (sync?.sent) {
    const sent = signalservice.SyncMessage.Sent.fromObject(sync.sent);
    const destination = aciOrServiceId(sent.destinationServiceIdBinary, sent.destinationServiceId);
    return {
      ...base,
      type: "sync-sent",
      destinationServiceId: destination,
      sent,
      groupMasterKey: groupKey(sent.message ?? sent.editMessage?.dataMessage),
    };
  }
  if (sync?.read && sync.read.length > 0) {
    const reads = sync.read.flatMap((read) => {
      const senderAci = aciFrom(read.senderAciBinary, read.senderAci);
      return senderAci ? [{ senderAci, timestamp: Number(read.timestamp ?? 0) }] : [];
    });
    return { ...base, type: "sync-read", reads };
  }
  if (sync?.contacts?.blob) {
    return {
      ...base,
      type: "contacts-sync",
      blob: signalservice.AttachmentPointer.fromObject(sync.contacts.blob),
      complete: sync.contacts.complete ?? false,
    };
  }
  if (sync?.blocked) {
    const fromBinary = (sync.blocked.acisBinary ?? []).flatMap((binary) => aciFrom(binary, null) ?? []);
    const fromText = (sync.blocked.acis ?? []).flatMap((text) => aciFrom(null, text) ?? []);
    return {
      ...base,
      type: "sync-blocked",
      acis: [...new Set([...fromBinary, ...fromText])],
      groupIds: (sync.blocked.groupIds ?? []).filter((id) => id.length > 0),
    };
  }
  if (sync?.messageRequestResponse) {
    const answer = sync.messageRequestResponse;
    const Type = signalservice.SyncMessage.MessageRequestResponse.Type;
    const response =
      answer.type === Type.ACCEPT
        ? "accept"
        : answer.type === Type.DELETE
          ? "delete"
          : answer.type === Type.BLOCK ||
              answer.type === Type.BLOCK_AND_DELETE ||
              answer.type === Type.BLOCK_AND_SPAM
            ? "block"
            : null;
    const groupId = answer.groupId && answer.groupId.length > 0 ? answer.groupId : null;
    const threadAci = aciFrom(answer.threadAciBinary, answer.threadAci);
    if (response && (groupId || threadAci)) {
      return {
        ...base,
        type: "sync-message-request",
        threadAci: groupId ? null : threadAci,
        groupId,
        response,
      };
    }
  }
  if (sync?.fetchLatest?.type === signalservice.SyncMessage.FetchLatest.Type.STORAGE_MANIFEST) {
    return { ...base, type: "storage-changed" };
  }

  // Offers and hang-ups are worth telling the user; ICE candidates and the like are not.
  if (content.callMessage && (content.callMessage.offer || content.callMessage.hangup)) {
    return { ...base, type: "call", call: signalservice.CallMessage.fromObject(content.callMessage) };
  }
  if (content.storyMessage) {
    const story = signalservice.StoryMessage.fromObject(content.storyMessage);
    const masterKey = story.group?.masterKey;
    return {
      ...base,
      type: "story",
      story,
      groupMasterKey: masterKey && masterKey.length > 0 ? masterKey : null,
    };
  }

  if (content.receiptMessage) {
    const kind = RECEIPT_KINDS[content.receiptMessage.type ?? signalservice.ReceiptMessage.Type.DELIVERY];
    return {
      ...base,
      type: "receipt",
      receipt: kind,
      timestamps: (content.receiptMessage.timestamp ?? []).map(Number),
    };
  }

  if (content.typingMessage) {
    const groupId = content.typingMessage.groupId;
    return {
      ...base,
      type: "typing",
      action:
        content.typingMessage.action === signalservice.TypingMessage.Action.STOPPED ? "stopped" : "started",
      groupId: groupId && groupId.length > 0 ? groupId : null,
    };
  }
  return null;
}

function aciOrServiceId(
  binary: Uint8Array | null | undefined,
  text: string | null | undefined,
): string | null {
  if (binary && binary.length === 17) {
    // A PNI in binary form: kind byte 0x01 then the UUID.
    return `PNI:${Aci.fromUuidBytes(binary.subarray(1)).getRawUuid()}`;
  }
  return aciFrom(binary, text);
}
