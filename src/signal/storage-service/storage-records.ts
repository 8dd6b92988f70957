// Typed views of the storage service records this client uses: contacts, groups v2 and the
// account's own settings. Fields the phone left empty come out as null or false.
import { Aci, Pni } from "@signalapp/libsignal-client";
import type { signalservice } from "../../proto/generated/signal.js";

/** A person in the account's storage (address book entry, message request state, profile data). */
export interface StorageContact {
  /** Lowercase ACI UUID; null for a contact known only by phone number or PNI. */
  aci: string | null;
  /** Lowercase PNI UUID without prefix. */
  pni: string | null;
  /** Phone number in E.164. */
  e164: string | null;
  /** 32 bytes. SECRET. */
  profileKey: Uint8Array | null;
  /** The contact's own profile name as last seen by the phone. */
  profileGivenName: string | null;
  profileFamilyName: string | null;
  /** The name in the phone's address book. */
  systemGivenName: string | null;
  systemFamilyName: string | null;
  systemNickname: string | null;
  /** A nickname the user set in Signal (wins over every other name in Signal's apps). */
  nicknameGivenName: string | null;
  nicknameFamilyName: string | null;
  username: string | null;
  blocked: boolean;
  /** The user accepted this contact's message request (or started the chat). */
  whitelisted: boolean;
  archived: boolean;
  hidden: boolean;
  /** Milliseconds since the epoch; 0 when not muted. */
  mutedUntil: number;
}

/** A group v2 the account belongs to (or was invited to). */
export interface StorageGroup {
  /** 32 bytes; the group's secret params derive from it. SECRET. */
  masterKey: Uint8Array;
  blocked: boolean;
  whitelisted: boolean;
  archived: boolean;
  /** Milliseconds since the epoch; 0 when not muted. */
  mutedUntil: number;
}

/** The account's own profile and settings. */
export interface StorageAccount {
  /** SECRET. */
  profileKey: Uint8Array | null;
  givenName: string | null;
  familyName: string | null;
  /** CDN path of the encrypted profile avatar. */
  avatarUrlPath: string | null;
  username: string | null;
  readReceipts: boolean;
  typingIndicators: boolean;
  linkPreviews: boolean;
  sealedSenderIndicators: boolean;
  /** Default disappearing-messages timer for new chats, in seconds; 0 when off. */
  universalExpireTimerSeconds: number;
  /** Pinned chats in order: contacts by ACI (or E.164), groups by master key. */
  pinned: PinnedConversation[];
}

export type PinnedConversation =
  { kind: "contact"; aci: string | null; e164: string | null } | { kind: "group"; masterKey: Uint8Array };

function text(value: string | null | undefined): string | null {
  return value ? value : null;
}

function bytes(value: Uint8Array | null | undefined): Uint8Array | null {
  return value && value.length > 0 ? value : null;
}

function uuidOf(
  binary: Uint8Array | null | undefined,
  textForm: string | null | undefined,
  kind: "aci" | "pni",
) {
  if (binary && binary.length === 16) {
    return (kind === "aci" ? Aci.fromUuidBytes(binary) : Pni.fromUuidBytes(binary)).getRawUuid();
  }
  if (!textForm) return null;
  const raw = textForm.replace(/^PNI:/i, "").toLowerCase();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(raw) ? raw : null;
}

export function contactFromRecord(record: signalservice.ContactRecord.$Properties): StorageContact {
  return {
    aci: uuidOf(record.aciBinary, record.aci, "aci"),
    pni: uuidOf(record.pniBinary, record.pni, "pni"),
    e164: text(record.e164),
    profileKey: bytes(record.profileKey),
    profileGivenName: text(record.givenName),
    profileFamilyName: text(record.familyName),
    systemGivenName: text(record.systemGivenName),
    systemFamilyName: text(record.systemFamilyName),
    systemNickname: text(record.systemNickname),
    nicknameGivenName: text(record.nickname?.given),
    nicknameFamilyName: text(record.nickname?.family),
    username: text(record.username),
    blocked: record.blocked ?? false,
    whitelisted: record.whitelisted ?? false,
    archived: record.archived ?? false,
    hidden: record.hidden ?? false,
    mutedUntil: record.mutedUntilTimestamp ?? 0,
  };
}

/** Null for a record without a valid master key (nothing can be done with it). */
export function groupFromRecord(record: signalservice.GroupV2Record.$Properties): StorageGroup | null {
  if (!record.masterKey || record.masterKey.length !== 32) return null;
  return {
    masterKey: record.masterKey,
    blocked: record.blocked ?? false,
    whitelisted: record.whitelisted ?? false,
    archived: record.archived ?? false,
    mutedUntil: record.mutedUntilTimestamp ?? 0,
  };
}

function pinnedFromRecord(
  pinned: signalservice.AccountRecord.PinnedConversation.$Properties,
): PinnedConversation | null {
  if (pinned.contact) {
    const aci = uuidOf(pinned.contact.serviceIdBinary, pinned.contact.serviceId, "aci");
    const e164 = text(pinned.contact.e164);
    return aci || e164 ? { kind: "contact", aci, e164 } : null;
  }
  const masterKey = bytes(pinned.groupMasterKey);
  return masterKey ? { kind: "group", masterKey } : null;
}

export function accountFromRecord(record: signalservice.AccountRecord.$Properties): StorageAccount {
  return {
    profileKey: bytes(record.profileKey),
    givenName: text(record.givenName),
    familyName: text(record.familyName),
    avatarUrlPath: text(record.avatarUrlPath),
    username: text(record.username),
    readReceipts: record.readReceipts ?? false,
    typingIndicators: record.typingIndicators ?? false,
    linkPreviews: record.linkPreviews ?? false,
    sealedSenderIndicators: record.sealedSenderIndicators ?? false,
    universalExpireTimerSeconds: record.universalExpireTimer ?? 0,
    pinned: (record.pinnedConversations ?? [])
      .map(pinnedFromRecord)
      .filter((entry): entry is PinnedConversation => entry !== null),
  };
}
