// Applies the phone's contact list (SyncMessage.contacts): downloads and verifies the attachment,
// reads every ContactDetails and keeps the stored recipients current.
import type { AttachmentPointerFields } from "../attachments/attachment-download.js";
import { downloadAttachment } from "../attachments/attachment-download.js";
import { aciFrom } from "../content-events.js";
import type { SignalEnvironment } from "../environment.js";
import type { RecipientRecord, SignalStorage, StorageWrite } from "../storage.js";
import { readContactDetails } from "./contact-details-reader.js";

const PROFILE_KEY_LENGTH = 32;
// Contact lists with avatars of thousands of contacts stay far below this.
const DEFAULT_MAX_CONTACT_LIST_BYTES = 64 * 1024 * 1024;

/** One contact as the phone lists it. */
export interface SyncedContact {
  /** Lowercase ACI UUID. */
  aci: string;
  /** E.164 phone number, when the phone knows it. */
  number: string | null;
  /** The name the phone's owner gave the contact (system contact name). */
  name: string | null;
  /** The contact's profile key, when the phone shares it (older phones do; profiles need it). */
  profileKey: Uint8Array | null;
  /** Disappearing-message timer of the chat in seconds, 0 when off. */
  expireTimerSeconds: number;
  /** Increases whenever the timer changes; a lower version than the one known is stale. */
  expireTimerVersion: number | null;
  avatar: { contentType: string | null; data: Uint8Array } | null;
}

export interface ContactSyncOptions {
  environment: SignalEnvironment;
  storage: SignalStorage;
  /** `blob` of the SyncMessage.Contacts (the `contacts-sync` event). */
  blob: AttachmentPointerFields;
  maxBytes?: number;
  signal?: AbortSignal;
}

/**
 * Downloads and reads the contact list, then stores every contact as a recipient (one atomic
 * commit, made only after the attachment's MAC and digest were verified). Returns the contacts in
 * the phone's order. Entries without an ACI are left out: they are not Signal users one can message.
 */
export async function syncContacts(options: ContactSyncOptions): Promise<SyncedContact[]> {
  const download = await downloadAttachment(options.environment, options.blob, {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_CONTACT_LIST_BYTES,
    signal: options.signal,
  });
  const contacts: SyncedContact[] = [];
  try {
    for await (const { details, avatar } of readContactDetails(download.stream)) {
      const aci = aciFrom(details.aciBinary, details.aci);
      if (!aci) continue;
      const profileKey = details.profileKey?.length === PROFILE_KEY_LENGTH ? details.profileKey : null;
      contacts.push({
        aci,
        number: details.number || null,
        name: details.name || null,
        profileKey,
        expireTimerSeconds: details.expireTimer ?? 0,
        expireTimerVersion: details.expireTimerVersion || null,
        avatar: avatar ? { contentType: details.avatar?.contentType || null, data: avatar } : null,
      });
    }
  } finally {
    // The reader may stop early on a parse error: stop the download with it.
    download.stream.destroy();
  }
  const writes = await recipientWrites(options.storage, contacts);
  if (writes.length > 0) await options.storage.commit(writes);
  return contacts;
}

async function recipientWrites(storage: SignalStorage, contacts: SyncedContact[]): Promise<StorageWrite[]> {
  const writes: StorageWrite[] = [];
  for (const contact of contacts) {
    const existing = await storage.getRecipient(contact.aci);
    const recipient: RecipientRecord = {
      aci: contact.aci,
      pni: existing?.pni ?? null,
      number: contact.number ?? existing?.number ?? null,
      profileKey: contact.profileKey ?? existing?.profileKey ?? null,
      profileName: existing?.profileName ?? null,
      contactName: contact.name,
    };
    if (!existing || !sameRecipient(existing, recipient)) writes.push({ type: "recipient", recipient });
  }
  return writes;
}

function sameRecipient(a: RecipientRecord, b: RecipientRecord): boolean {
  return (
    a.pni === b.pni &&
    a.number === b.number &&
    a.profileName === b.profileName &&
    a.contactName === b.contactName &&
    sameBytes(a.profileKey, b.profileKey)
  );
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a).equals(Buffer.from(b));
}
