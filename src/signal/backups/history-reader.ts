// Reading a backup's records into what a linked device takes from the history: the contacts (with
// their names and profile keys), and the chats with their last messages. Every frame is first
// checked by libsignal's backup validator; a frame it refuses is left out, with everything that
// refers to it, rather than losing the whole history over one bad record.
import { Aci, Pni } from "@signalapp/libsignal-client";
import { OnlineBackupValidator, Purpose } from "@signalapp/libsignal-client/dist/MessageBackup.js";
import { backup } from "../../proto/generated/signal.js";
import type { StorageContact } from "../storage-service/storage-records.js";
import { TransferArchiveError } from "./backup-errors.js";
import { historyItemsOf, type HistoryItem, type LeftOutReason } from "./history-items.js";

/** The only backup version there is so far. */
const BACKUP_VERSION = 1;

/** The other side of a chat: a contact (or ourselves, for Note to Self) or a group. */
export type HistoryPeer =
  { kind: "contact"; aci: string } | { kind: "group"; masterKey: Uint8Array; title: string | null };

export interface HistoryChat {
  peer: HistoryPeer;
  /** The user blocked the contact or group. */
  blocked: boolean;
  archived: boolean;
  /** Position among pinned chats (1 first), or null when not pinned. */
  pinnedOrder: number | null;
  /** When the newest message of the chat was sent; 0 when it has none. */
  lastMessageAt: number;
  /** Messages of the chat in the archive, including those not kept in `items`. */
  messageCount: number;
  /**
   * The last messages (up to the number asked for), oldest first, each followed by its
   * reactions. Messages that cannot be shown are not counted or kept.
   */
  items: HistoryItem[];
}

/** What the history holds for the bridge. */
export interface HistoryArchive {
  /** When the phone made the archive (ms). */
  backupTime: number;
  contacts: StorageContact[];
  chats: HistoryChat[];
  /** Frames libsignal's validator refused: left out. */
  refusedFrames: number;
  /** Messages left out, by why (deleted ones, disappearing ones ...). */
  leftOut: Partial<Record<LeftOutReason, number>>;
}

export interface ReadHistoryOptions {
  /** Our ACI: messages by the Self recipient are ours. */
  ownAci: string;
  /** How many of the last messages to keep per chat. */
  messagesPerChat: number;
  /** Called with the first validation message of each refused frame, for logs. */
  onRefusedFrame?: (reason: string) => void;
}

type RecipientEntry =
  | { kind: "self" }
  | { kind: "contact"; aci: string | null; blocked: boolean }
  | { kind: "group"; masterKey: Uint8Array; title: string | null; blocked: boolean }
  | { kind: "other" };

interface ChatState {
  peer: HistoryPeer;
  blocked: boolean;
  archived: boolean;
  pinnedOrder: number | null;
  lastMessageAt: number;
  messageCount: number;
  /** Each kept message with its reactions; trimmed to the newest `messagesPerChat`. */
  kept: HistoryItem[][];
}

/** Reads the records of a backup (BackupInfo first) into a HistoryArchive. */
export async function readHistory(
  records: AsyncIterable<Uint8Array>,
  options: ReadHistoryOptions,
): Promise<HistoryArchive> {
  const limit = Math.max(0, options.messagesPerChat);
  let validator: OnlineBackupValidator | undefined;
  let backupTime = 0;
  const recipients = new Map<number, RecipientEntry>();
  const chats = new Map<number, ChatState>();
  const contacts: StorageContact[] = [];
  const leftOut: Partial<Record<LeftOutReason, number>> = {};
  let refusedFrames = 0;
  const aciOf = (recipientId: number): string | null => {
    const recipient = recipients.get(recipientId);
    if (recipient?.kind === "self") return options.ownAci;
    return recipient?.kind === "contact" ? recipient.aci : null;
  };

  for await (const record of records) {
    if (!validator) {
      const info = decode(() => backup.BackupInfo.decode(record), "its header is not a backup header");
      if (Number(info.version) !== BACKUP_VERSION) {
        throw new TransferArchiveError(
          `it has backup version ${String(info.version)}, which this bridge does not read`,
        );
      }
      backupTime = Number(info.backupTimeMs ?? 0);
      validator = decode(
        () => new OnlineBackupValidator(new Uint8Array(record), Purpose.DeviceTransfer),
        "its header was refused by the backup validator",
      );
      continue;
    }
    try {
      validator.addFrame(new Uint8Array(record));
    } catch (error) {
      refusedFrames++;
      options.onRefusedFrame?.((error as Error).message);
      continue;
    }
    const frame = backup.Frame.decode(record);
    if (frame.recipient) {
      const entry = recipientEntry(frame.recipient);
      recipients.set(Number(frame.recipient.id), entry);
      if (frame.recipient.contact) {
        const contact = storageContactOf(frame.recipient.contact);
        if (contact) contacts.push(contact);
      }
    } else if (frame.chat) {
      const peerEntry = recipients.get(Number(frame.chat.recipientId));
      const peer = peerOf(peerEntry, options.ownAci);
      if (!peer) continue;
      chats.set(Number(frame.chat.id), {
        peer,
        blocked: peerEntry !== undefined && "blocked" in peerEntry && peerEntry.blocked,
        archived: frame.chat.archived ?? false,
        pinnedOrder: frame.chat.pinnedOrder ?? null,
        lastMessageAt: 0,
        messageCount: 0,
        kept: [],
      });
    } else if (frame.chatItem) {
      const chat = chats.get(Number(frame.chatItem.chatId));
      if (!chat) continue;
      const result = historyItemsOf(frame.chatItem, aciOf);
      if ("leftOut" in result) {
        leftOut[result.leftOut] = (leftOut[result.leftOut] ?? 0) + 1;
        continue;
      }
      chat.messageCount++;
      chat.lastMessageAt = Math.max(chat.lastMessageAt, Number(frame.chatItem.dateSent ?? 0));
      if (limit === 0) continue;
      chat.kept.push(result.items);
      // Trimmed in batches, so keeping the last messages of a long chat stays linear.
      if (chat.kept.length >= 2 * limit) chat.kept = chat.kept.slice(-limit);
    }
  }
  if (!validator) throw new TransferArchiveError("it is empty");
  try {
    validator.finalize();
  } catch (error) {
    options.onRefusedFrame?.(`the backup as a whole: ${(error as Error).message}`);
  }
  return {
    backupTime,
    contacts,
    chats: [...chats.values()].map((chat) => ({
      peer: chat.peer,
      blocked: chat.blocked,
      archived: chat.archived,
      pinnedOrder: chat.pinnedOrder,
      lastMessageAt: chat.lastMessageAt,
      messageCount: chat.messageCount,
      items: chat.kept.slice(-limit).flat(),
    })),
    refusedFrames,
    leftOut,
  };
}

function decode<T>(read: () => T, reason: string): T {
  try {
    return read();
  } catch (error) {
    throw new TransferArchiveError(reason, { cause: error });
  }
}

function aciString(bytes: Uint8Array | null | undefined): string | null {
  return bytes && bytes.length === 16 ? Aci.fromUuidBytes(bytes).getRawUuid() : null;
}

function recipientEntry(recipient: backup.IRecipient): RecipientEntry {
  if (recipient.self) return { kind: "self" };
  if (recipient.contact) {
    return {
      kind: "contact",
      aci: aciString(recipient.contact.aci),
      blocked: recipient.contact.blocked ?? false,
    };
  }
  if (recipient.group?.masterKey && recipient.group.masterKey.length === 32) {
    return {
      kind: "group",
      masterKey: recipient.group.masterKey,
      title: recipient.group.snapshot?.title?.title || null,
      blocked: recipient.group.blocked ?? false,
    };
  }
  return { kind: "other" };
}

function peerOf(entry: RecipientEntry | undefined, ownAci: string): HistoryPeer | null {
  switch (entry?.kind) {
    case "self":
      return { kind: "contact", aci: ownAci };
    case "contact":
      return entry.aci === null ? null : { kind: "contact", aci: entry.aci };
    case "group":
      return { kind: "group", masterKey: entry.masterKey, title: entry.title };
    default:
      return null;
  }
}

/** A contact of the backup in the shape the storage service's contacts have (both come from the phone). */
function storageContactOf(contact: backup.IContact): StorageContact | null {
  const aci = aciString(contact.aci);
  if (aci === null) return null;
  const text = (value: string | null | undefined): string | null => (value ? value : null);
  return {
    aci,
    pni: contact.pni && contact.pni.length === 16 ? Pni.fromUuidBytes(contact.pni).getRawUuid() : null,
    e164: contact.e164 ? `+${String(contact.e164)}` : null,
    profileKey: contact.profileKey && contact.profileKey.length === 32 ? contact.profileKey : null,
    profileGivenName: text(contact.profileGivenName),
    profileFamilyName: text(contact.profileFamilyName),
    systemGivenName: text(contact.systemGivenName),
    systemFamilyName: text(contact.systemFamilyName),
    systemNickname: text(contact.systemNickname),
    nicknameGivenName: text(contact.nickname?.given),
    nicknameFamilyName: text(contact.nickname?.family),
    username: text(contact.username),
    blocked: contact.blocked ?? false,
    whitelisted: contact.profileSharing ?? false,
    archived: false,
    hidden: (contact.visibility ?? 0) !== backup.Contact.Visibility.VISIBLE,
    mutedUntil: 0,
  };
}
