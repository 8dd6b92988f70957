// The events a SignalClient emits: a discriminated union on `type`.
//
// Events that come from a received envelope carry `id`: the envelope stays in the event buffer
// until the consumer calls `markHandled(id)`, and is emitted again after a restart until then.
// One envelope produces at most one such event.
import type { signalservice } from "../proto/generated/signal.js";

/** Who sent an envelope. */
export interface SignalSender {
  /** ACI of the sender (lowercase UUID). */
  aci: string;
  deviceId: number;
}

interface BufferedEventBase {
  /** Pass to `markHandled` once the event is handled. */
  id: string;
  sender: SignalSender;
  /** The sender's timestamp (ms): with `sender.aci` it identifies the message. */
  timestamp: number;
  /** When the server received it (ms). */
  serverTimestamp: number;
  /** Whether the envelope was sealed sender. */
  sealed: boolean;
}

/** A new message (text, attachments, quote, sticker, contacts, expiration timer, group context ...). */
export interface MessageEvent extends BufferedEventBase {
  type: "message";
  message: signalservice.DataMessage;
  /** The group's master key when the message belongs to a group. */
  groupMasterKey: Uint8Array | null;
}

/** A new version of an earlier message of the same sender. */
export interface EditEvent extends BufferedEventBase {
  type: "edit";
  targetTimestamp: number;
  message: signalservice.DataMessage;
  groupMasterKey: Uint8Array | null;
}

/** A reaction added or removed. */
export interface ReactionEvent extends BufferedEventBase {
  type: "reaction";
  emoji: string;
  remove: boolean;
  targetAuthorAci: string;
  targetTimestamp: number;
  groupMasterKey: Uint8Array | null;
}

/** The sender deleted one of their messages for everyone. */
export interface DeleteEvent extends BufferedEventBase {
  type: "delete";
  targetTimestamp: number;
  groupMasterKey: Uint8Array | null;
}

/** Another device of ours sent a message (or an edit); the transcript tells us what and to whom. */
export interface SyncSentEvent extends BufferedEventBase {
  type: "sync-sent";
  /** Recipient of a 1:1 message (service id), null for a group message. */
  destinationServiceId: string | null;
  sent: signalservice.SyncMessage.Sent;
  groupMasterKey: Uint8Array | null;
}

/** Another device of ours read messages. */
export interface SyncReadEvent extends BufferedEventBase {
  type: "sync-read";
  reads: Array<{ senderAci: string; timestamp: number }>;
}

/** The phone's contact list (an attachment with ContactDetails). */
export interface ContactsSyncEvent extends BufferedEventBase {
  type: "contacts-sync";
  blob: signalservice.AttachmentPointer;
  complete: boolean;
}

/** The phone's list of the contacts and groups it blocked (sent when asked, and when it changes). */
export interface SyncBlockedEvent extends BufferedEventBase {
  type: "sync-blocked";
  acis: string[];
  /** Group identifiers (not master keys). */
  groupIds: Uint8Array[];
}

/** The phone answered a message request: accepted the chat, deleted it, or blocked it. */
export interface SyncMessageRequestEvent extends BufferedEventBase {
  type: "sync-message-request";
  /** The contact of a direct chat; null for a group. */
  threadAci: string | null;
  /** The group identifier of a group chat; null for a direct chat. */
  groupId: Uint8Array | null;
  response: "accept" | "delete" | "block";
}

/** A call offered or ended (calls themselves are not relayed; a linked device only hears of them). */
export interface CallEvent extends BufferedEventBase {
  type: "call";
  call: signalservice.CallMessage;
}

/** A story someone posted to us, or to a group we are in. */
export interface StoryEvent extends BufferedEventBase {
  type: "story";
  story: signalservice.StoryMessage;
  groupMasterKey: Uint8Array | null;
}

/**
 * The phone changed what it keeps in the storage service (contacts, groups, pinned chats, ...):
 * read the storage service again.
 */
export interface StorageChangedEvent extends BufferedEventBase {
  type: "storage-changed";
}

/** Someone received, read or viewed messages we sent. */
export interface ReceiptEvent extends BufferedEventBase {
  type: "receipt";
  receipt: "delivery" | "read" | "viewed";
  timestamps: number[];
}

/** Someone started or stopped typing. */
export interface TypingEvent extends BufferedEventBase {
  type: "typing";
  action: "started" | "stopped";
  groupId: Uint8Array | null;
}

/** An envelope could not be decrypted or parsed; a retry request was sent when the sender was known. */
export interface DecryptionErrorEvent {
  type: "decryption-error";
  id: string;
  /** Null when even the sender could not be determined (e.g. a corrupted sealed-sender envelope). */
  sender: SignalSender | null;
  timestamp: number;
  serverTimestamp: number;
  /** Why decryption failed, for logs. Never contains key material. */
  reason: string;
}

/** A contact's identity key changed (they reinstalled Signal or someone else took over the number). */
export interface IdentityChangeEvent {
  type: "identity-change";
  serviceId: string;
}

/** The server delivered everything that was queued while we were offline. */
export interface QueueEmptyEvent {
  type: "queue-empty";
}

export type ConnectionState =
  "connecting" | "connected" | "reconnecting" | "logged-out" | "error" | "stopped";

/** The chat connection changed state. */
export interface ConnectionStateEvent {
  type: "connection-state";
  state: ConnectionState;
  /** Why (for reconnecting, error and logged-out). */
  detail: string | null;
}

/** The device was unlinked or its credentials were refused; the client stopped. Link again. */
export interface LoggedOutEvent {
  type: "logged-out";
  reason: string;
}

/** Something failed that the client retries on its own (key refresh, storing an envelope); for logs. */
export interface ClientErrorEvent {
  type: "client-error";
  message: string;
}

export type BufferedSignalEvent =
  | MessageEvent
  | EditEvent
  | ReactionEvent
  | DeleteEvent
  | SyncSentEvent
  | SyncReadEvent
  | ContactsSyncEvent
  | SyncBlockedEvent
  | SyncMessageRequestEvent
  | StorageChangedEvent
  | CallEvent
  | StoryEvent
  | ReceiptEvent
  | TypingEvent
  | DecryptionErrorEvent;

// A record, so the compiler insists that every buffered event type is listed here.
const bufferedTypes: Record<BufferedSignalEvent["type"], true> = {
  message: true,
  edit: true,
  reaction: true,
  delete: true,
  "sync-sent": true,
  "sync-read": true,
  "contacts-sync": true,
  "sync-blocked": true,
  "sync-message-request": true,
  "storage-changed": true,
  call: true,
  story: true,
  receipt: true,
  typing: true,
  "decryption-error": true,
};

/** Every type of event that stays buffered until `markHandled`: a consumer must handle them all. */
export const BUFFERED_EVENT_TYPES = Object.keys(bufferedTypes) as ReadonlyArray<BufferedSignalEvent["type"]>;

export type SignalEvent =
  | BufferedSignalEvent
  | IdentityChangeEvent
  | QueueEmptyEvent
  | ConnectionStateEvent
  | LoggedOutEvent
  | ClientErrorEvent;

export type SignalEventType = SignalEvent["type"];
export type SignalEventOf<T extends SignalEventType> = Extract<SignalEvent, { type: T }>;
