import {
  decodeHistoryItems,
  encodeHistoryItems,
  groupIdOf,
  type HistoryArchive,
  type HistoryItem,
  type HistoryPeer,
} from "../../signal/index.js";
import { Portals } from "../portals.js";

/** A chat of the history that gets a portal, with the messages it is filled with. */
export interface PlannedChat {
  portalKey: string;
  peer: HistoryPeer;
  /** Messages and reactions in the order they are shown. */
  items: HistoryItem[];
}

/**
 * The chats of the history that get portals: those with messages to show, except blocked ones,
 * newest first, at most `maxPortals`.
 */
export function planChats(userId: string, archive: HistoryArchive, maxPortals: number): PlannedChat[] {
  return archive.chats
    .filter((chat) => !chat.blocked && chat.items.length > 0)
    .sort((a, b) => b.lastMessageAt - a.lastMessageAt)
    .slice(0, Math.max(0, maxPortals))
    .map((chat) => ({ portalKey: portalKeyOf(userId, chat.peer), peer: chat.peer, items: chat.items }));
}

export function portalKeyOf(userId: string, peer: HistoryPeer): string {
  return peer.kind === "contact"
    ? Portals.directKey(userId, peer.aci)
    : Portals.groupKey(groupIdOf(peer.masterKey));
}

/** Whether an item shows a message (not a reaction to one). */
export function isMessage(item: HistoryItem): boolean {
  return !item.message.reaction;
}

interface StoredChat {
  peer: { kind: "contact"; aci: string } | { kind: "group"; masterKey: string; title: string | null };
  items: string;
}

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));

/** A planned chat as bytes, kept (sealed) until its backfill is done. */
export function encodePlannedChat(chat: PlannedChat): Uint8Array {
  const stored: StoredChat = {
    peer:
      chat.peer.kind === "contact"
        ? chat.peer
        : { kind: "group", masterKey: toBase64(chat.peer.masterKey), title: chat.peer.title },
    items: toBase64(encodeHistoryItems(chat.items)),
  };
  return new TextEncoder().encode(JSON.stringify(stored));
}

export function decodePlannedChat(portalKey: string, bytes: Uint8Array): PlannedChat {
  const stored = JSON.parse(new TextDecoder().decode(bytes)) as StoredChat;
  const peer: HistoryPeer =
    stored.peer.kind === "contact"
      ? stored.peer
      : { kind: "group", masterKey: fromBase64(stored.peer.masterKey), title: stored.peer.title };
  return { portalKey, peer, items: decodeHistoryItems(fromBase64(stored.items)) };
}
