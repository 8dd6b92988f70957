import {
  InvalidUsernameError,
  looksLikeUsername,
  type RecipientRecord,
  type SignalStorage,
} from "../../signal/index.js";
import { bestName } from "../ghosts.js";
import type { Login } from "../logins.js";
import {
  lookUpPhoneNumber,
  type PhoneNumberDiscovery,
  type PhoneNumberLookup,
  waitingTime,
} from "../phone-number-lookup.js";

/** What a contact argument (ACI, phone number or name) resolved to, among the contacts or on Signal. */
export type ContactLookup =
  | { kind: "found"; aci: string; recipient: RecipientRecord | null }
  | { kind: "ambiguous"; candidates: RecipientRecord[] }
  | { kind: "unknown" }
  /** The argument cannot be what it looks like (e.g. a malformed username); `reason` says why. */
  | { kind: "invalid"; reason: string }
  | PhoneNumberLookup;

const ACI_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PHONE_PATTERN = /^\+?[\d\s().-]{5,}$/;

const digitsOf = (text: string) => text.replace(/\D/g, "");

/** Whether a contact argument is written as a phone number (with or without country code). */
export function looksLikePhoneNumber(text: string): boolean {
  return PHONE_PATTERN.test(text.trim());
}

/** The contacts of an account, without the account itself, sorted by the name shown for them. */
export async function contactsOf(storage: SignalStorage, ownAci: string): Promise<RecipientRecord[]> {
  const recipients = await storage.listRecipients();
  return recipients
    .filter((recipient) => recipient.aci !== ownAci)
    .sort((a, b) => bestName(a).localeCompare(bestName(b)));
}

/** One line describing a contact: name, number and ACI, so the user can tell namesakes apart. */
export function describeContact(recipient: RecipientRecord): string {
  return `${bestName(recipient)}${recipient.number ? ` (${recipient.number})` : ""}: ${recipient.aci}`;
}

/**
 * Finds the contact a user means. An ACI is taken as is (Signal can message any account); a phone
 * number must match a known contact's; a name matches exactly (ignoring case) or else as a part
 * of a profile or contact name.
 */
export async function lookUpContact(
  storage: SignalStorage,
  ownAci: string,
  query: string,
): Promise<ContactLookup> {
  const text = query.trim();
  const contacts = await contactsOf(storage, ownAci);
  if (ACI_PATTERN.test(text)) {
    const aci = text.toLowerCase();
    return { kind: "found", aci, recipient: contacts.find((c) => c.aci === aci) ?? null };
  }
  if (looksLikePhoneNumber(text)) {
    const digits = digitsOf(text);
    return pick(contacts.filter((c) => c.number !== null && digitsOf(c.number) === digits));
  }
  const wanted = text.toLowerCase();
  const namesOf = (c: RecipientRecord) =>
    [c.profileName, c.contactName].filter((name): name is string => !!name).map((n) => n.toLowerCase());
  const exact = contacts.filter((c) => namesOf(c).includes(wanted));
  if (exact.length > 0) return pick(exact);
  return pick(contacts.filter((c) => namesOf(c).some((name) => name.includes(wanted))));
}

function pick(matches: RecipientRecord[]): ContactLookup {
  const [only] = matches;
  if (matches.length === 1 && only) return { kind: "found", aci: only.aci, recipient: only };
  return matches.length === 0 ? { kind: "unknown" } : { kind: "ambiguous", candidates: matches };
}

/** The reply for a lookup that found no single contact. */
/**
 * Finds whom a user means: by username (asking Signal: it can belong to someone not yet in the
 * contacts), ACI, phone number or name among the contacts (see lookUpContact), and a phone number
 * that is no contact's on Signal.
 */
export async function resolveContact(
  storage: SignalStorage,
  login: Login,
  discovery: PhoneNumberDiscovery,
  query: string,
): Promise<ContactLookup> {
  if (looksLikeUsername(query)) return lookUpUsername(login, query);
  const lookup = await lookUpContact(storage, login.client.account.aci, query);
  if (lookup.kind === "unknown" && looksLikePhoneNumber(query)) {
    return lookUpPhoneNumber(discovery, login, query);
  }
  return lookup;
}

/** Asks Signal who has a username; a username can belong to someone not yet in the contacts. */
async function lookUpUsername(login: Login, username: string): Promise<ContactLookup> {
  try {
    const aci = await login.client.lookUpUsername(username);
    return aci ? { kind: "found", aci, recipient: null } : { kind: "unknown" };
  } catch (error) {
    if (error instanceof InvalidUsernameError) return { kind: "invalid", reason: error.message };
    throw error;
  }
}

export function lookupProblem(query: string, lookup: Exclude<ContactLookup, { kind: "found" }>): string {
  switch (lookup.kind) {
    case "invalid":
      return lookup.reason;
    case "unknown":
      return looksLikeUsername(query)
        ? `Nobody on Signal has the username ${query.trim()}.`
        : `No contact matches "${query}". Send list to see your contacts, or use their ACI.`;
    case "ambiguous":
      return [
        `"${query}" matches ${lookup.candidates.length} contacts; use more of the name, the number or the ACI:`,
        ...lookup.candidates.map((c) => `• ${describeContact(c)}`),
      ].join("\n");
    case "not-on-signal":
      return `Nobody on Signal can be found by ${lookup.number}: the number is not registered, or its owner lets nobody find them by number. Ask them for their Signal username.`;
    case "number-identity-only":
      return `${lookup.number} is on Signal, but Signal does not say whose account it is to someone who only knows the number. Ask them to message you first, or for their Signal username.`;
    case "rate-limited":
      return `Signal limits how many phone numbers an account may look up, and that limit is reached for now. Try again in ${waitingTime(lookup.retryAfterSeconds)}.`;
    case "discovery-failed":
      return `Could not look ${lookup.number} up on Signal (${lookup.reason}). Try again later, or use their Signal username.`;
  }
}
