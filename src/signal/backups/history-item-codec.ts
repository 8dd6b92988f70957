// History items as bytes, for keeping them until they are shown (a consumer may stop halfway
// through a long history and go on after a restart).
import { signalservice } from "../../proto/generated/signal.js";
import type { HistoryItem } from "./history-items.js";

interface StoredItem {
  author: string;
  sentAt: number;
  /** Base64 of the encoded DataMessage. */
  message: string;
  /** Base64 plaintext hashes by CDN key. */
  hashes: Record<string, string>;
}

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));

export function encodeHistoryItems(items: readonly HistoryItem[]): Uint8Array {
  const stored: StoredItem[] = items.map((item) => ({
    author: item.authorAci,
    sentAt: item.sentAt,
    message: toBase64(signalservice.DataMessage.encode(item.message).finish()),
    hashes: Object.fromEntries([...item.plaintextHashes].map(([key, hash]) => [key, toBase64(hash)])),
  }));
  return new TextEncoder().encode(JSON.stringify(stored));
}

export function decodeHistoryItems(bytes: Uint8Array): HistoryItem[] {
  const stored = JSON.parse(new TextDecoder().decode(bytes)) as StoredItem[];
  return stored.map((item) => ({
    authorAci: item.author,
    sentAt: item.sentAt,
    message: signalservice.DataMessage.decode(fromBase64(item.message)),
    plaintextHashes: new Map(Object.entries(item.hashes).map(([key, hash]) => [key, fromBase64(hash)])),
  }));
}
