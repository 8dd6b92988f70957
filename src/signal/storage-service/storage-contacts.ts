// Keeps what the storage service says about contacts (names, numbers, profile keys) in the
// recipients the rest of the client reads, as a contact sync from the phone would.
import type { RecipientRecord, SignalStorage, StorageWrite } from "../storage.js";
import type { StorageContact } from "./storage-records.js";

function joined(...parts: Array<string | null>): string | null {
  const text = parts.filter((part): part is string => part !== null).join(" ");
  return text.length > 0 ? text : null;
}

/** The name the user gave the contact: their Signal nickname, else the address-book name. */
function contactNameOf(contact: StorageContact): string | null {
  return (
    joined(contact.nicknameGivenName, contact.nicknameFamilyName) ??
    joined(contact.systemGivenName, contact.systemFamilyName) ??
    contact.systemNickname
  );
}

/**
 * Stores the storage service's contacts as recipients, keeping what the snapshot leaves empty.
 * Contacts known only by number or PNI are skipped: recipients are keyed by ACI.
 * Resolves to the ACIs whose stored recipient changed.
 */
export async function saveStorageContacts(
  storage: SignalStorage,
  contacts: readonly StorageContact[],
): Promise<string[]> {
  const changed: RecipientRecord[] = [];
  for (const contact of contacts) {
    if (contact.aci === null) continue;
    const existing = await storage.getRecipient(contact.aci);
    const recipient: RecipientRecord = {
      aci: contact.aci,
      pni: contact.pni ?? existing?.pni ?? null,
      number: contact.e164 ?? existing?.number ?? null,
      profileKey: contact.profileKey ?? existing?.profileKey ?? null,
      profileName:
        joined(contact.profileGivenName, contact.profileFamilyName) ?? existing?.profileName ?? null,
      contactName: contactNameOf(contact) ?? existing?.contactName ?? null,
    };
    if (!existing || !sameRecipient(existing, recipient)) changed.push(recipient);
  }
  if (changed.length > 0) {
    await storage.commit(changed.map((recipient): StorageWrite => ({ type: "recipient", recipient })));
  }
  return changed.map((recipient) => recipient.aci);
}

function sameRecipient(a: RecipientRecord, b: RecipientRecord): boolean {
  const sameKey =
    a.profileKey === null || b.profileKey === null
      ? a.profileKey === b.profileKey
      : Buffer.from(a.profileKey).equals(Buffer.from(b.profileKey));
  return (
    sameKey &&
    a.pni === b.pni &&
    a.number === b.number &&
    a.profileName === b.profileName &&
    a.contactName === b.contactName
  );
}
