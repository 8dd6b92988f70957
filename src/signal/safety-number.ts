// The safety number two Signal users compare to check that nobody sits between them: 60 digits
// derived from both ACIs and both identity keys, the same on both phones.
import { Aci, Fingerprint, IdentityKeyPair, PublicKey } from "@signalapp/libsignal-client";
import type { ChatRequester } from "./chat-api.js";
import { SignalClientError } from "./errors.js";
import { fetchProfile } from "./profiles/profile-fetch.js";
import type { SignalStorage } from "./storage.js";

// What Signal's apps use for ACI-based safety numbers (version 1 was the phone-number form).
const ITERATIONS = 5200;
const ACI_VERSION = 2;

/** Neither a stored session nor the contact's profile gave an identity key to compare. */
export class UnknownIdentityKeyError extends SignalClientError {
  constructor(readonly aci: string) {
    super(
      `No identity key is known for ${aci} yet, so there is no safety number. Exchange a message with them first.`,
    );
  }
}

export interface SafetyNumberOptions {
  storage: SignalStorage;
  contactAci: string;
  /** Used to read the contact's identity key from their profile when no session has stored it. */
  chat?: ChatRequester;
}

/**
 * The 60-digit safety number between the account in `storage` and a contact. The identity key our
 * sessions use wins over the profile's, since that is the key messages are actually encrypted to.
 */
export async function safetyNumber({ storage, contactAci, chat }: SafetyNumberOptions): Promise<string> {
  const account = await storage.getAccount();
  if (!account) throw new SignalClientError("This account is not linked, so it has no safety numbers.");
  const ours = IdentityKeyPair.deserialize(new Uint8Array(account.aciIdentityKeyPair)).publicKey;
  const theirs = await contactIdentityKey(storage, contactAci, chat);
  const fingerprint = Fingerprint.new(
    ITERATIONS,
    ACI_VERSION,
    Aci.fromUuid(account.aci).getServiceIdBinary(),
    ours,
    Aci.fromUuid(contactAci).getServiceIdBinary(),
    theirs,
  );
  return fingerprint.displayableFingerprint().toString();
}

async function contactIdentityKey(
  storage: SignalStorage,
  aci: string,
  chat: ChatRequester | undefined,
): Promise<PublicKey> {
  const stored = await storage.getIdentity(aci);
  if (stored) return PublicKey.deserialize(new Uint8Array(stored.publicKey));
  const profileKey = (await storage.getRecipient(aci))?.profileKey;
  if (chat && profileKey) {
    const profile = await fetchProfile(chat, aci, profileKey);
    if (profile.identityKey.length > 0) return PublicKey.deserialize(new Uint8Array(profile.identityKey));
  }
  throw new UnknownIdentityKeyError(aci);
}
