// What the client keeps in the event buffer for one envelope: the decrypted Content (or why it
// could not be decrypted) plus the envelope metadata needed to turn it into an event later.
import { fromBase64, toBase64 } from "./chat-api.js";
import type { SignalSender } from "./events.js";

export interface DecryptedItem {
  kind: "content";
  sender: SignalSender;
  timestamp: number;
  serverTimestamp: number;
  sealed: boolean;
  /** Serialized Content, padding removed. */
  content: Uint8Array;
}

export interface FailedItem {
  kind: "failed";
  sender: SignalSender | null;
  timestamp: number;
  serverTimestamp: number;
  reason: string;
}

export type BufferedItem = DecryptedItem | FailedItem;

interface Serialized {
  v: 1;
  kind: BufferedItem["kind"];
  sender: SignalSender | null;
  timestamp: number;
  serverTimestamp: number;
  sealed?: boolean;
  content?: string;
  reason?: string;
}

export function encodeBufferedItem(item: BufferedItem): Uint8Array {
  const serialized: Serialized =
    item.kind === "content"
      ? {
          v: 1,
          kind: item.kind,
          sender: item.sender,
          timestamp: item.timestamp,
          serverTimestamp: item.serverTimestamp,
          sealed: item.sealed,
          content: toBase64(item.content),
        }
      : {
          v: 1,
          kind: item.kind,
          sender: item.sender,
          timestamp: item.timestamp,
          serverTimestamp: item.serverTimestamp,
          reason: item.reason,
        };
  return new TextEncoder().encode(JSON.stringify(serialized));
}

export function decodeBufferedItem(payload: Uint8Array): BufferedItem {
  const parsed = JSON.parse(new TextDecoder().decode(payload)) as Serialized;
  if (parsed.kind === "content" && parsed.sender && parsed.content !== undefined) {
    return {
      kind: "content",
      sender: parsed.sender,
      timestamp: parsed.timestamp,
      serverTimestamp: parsed.serverTimestamp,
      sealed: parsed.sealed ?? false,
      content: fromBase64(parsed.content),
    };
  }
  return {
    kind: "failed",
    sender: parsed.sender,
    timestamp: parsed.timestamp,
    serverTimestamp: parsed.serverTimestamp,
    reason: parsed.reason ?? "unknown",
  };
}
