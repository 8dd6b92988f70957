// What kind of message an event is, for the metrics' `kind` label: a small fixed set, the same
// for both directions.
import type { BufferedSignalEvent, signalservice } from "../../signal/index.js";

export const messageKinds = [
  "text",
  "media",
  "reaction",
  "edit",
  "redaction",
  "receipt",
  "typing",
  "other",
] as const;
export type MessageKind = (typeof messageKinds)[number];

function dataMessageKind(message: signalservice.IDataMessage | null | undefined): MessageKind {
  if (!message) return "other";
  if (message.reaction) return "reaction";
  if (message.delete) return "redaction";
  if ((message.attachments?.length ?? 0) > 0 || message.sticker) return "media";
  if (message.body) return "text";
  return "other";
}

export function signalEventKind(event: BufferedSignalEvent): MessageKind {
  switch (event.type) {
    case "message":
      return dataMessageKind(event.message);
    case "sync-sent":
      return dataMessageKind(event.sent.message);
    case "edit":
      return "edit";
    case "reaction":
      return "reaction";
    case "delete":
      return "redaction";
    case "receipt":
    case "sync-read":
      return "receipt";
    case "typing":
      return "typing";
    default:
      return "other";
  }
}

const mediaMessageTypes = new Set(["m.image", "m.file", "m.audio", "m.video"]);

/** The kind of a Matrix event as the homeserver delivered it (room or ephemeral). */
export function matrixEventKind(event: Record<string, unknown>): MessageKind {
  const content = (event["content"] ?? {}) as Record<string, unknown>;
  switch (event["type"]) {
    case "m.room.message": {
      const relation = content["m.relates_to"] as { rel_type?: unknown } | null | undefined;
      if (relation?.rel_type === "m.replace") return "edit";
      return mediaMessageTypes.has(String(content["msgtype"])) ? "media" : "text";
    }
    case "m.sticker":
      return "media";
    case "m.reaction":
      return "reaction";
    case "m.room.redaction":
      return "redaction";
    case "m.receipt":
      return "receipt";
    case "m.typing":
      return "typing";
    default:
      return "other";
  }
}
