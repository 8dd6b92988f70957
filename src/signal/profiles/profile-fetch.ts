// Fetches and decrypts a contact's profile (versioned by their profile key) over the chat service.
import { chatRequest, fromBase64, toBase64, type ChatRequester } from "../chat-api.js";
import { ServiceRequestError, SignalClientError } from "../errors.js";
import { decryptProfileName, decryptProfileText } from "./profile-cipher.js";
import { accessKeyMatches, deriveAccessKey, profileKeyVersion } from "./profile-keys.js";

/** The server has no account with this ACI (never registered, or deleted). */
export class ProfileNotFoundError extends SignalClientError {
  constructor(readonly aci: string) {
    super(`Signal has no account ${aci}; the contact may have deleted their account.`);
  }
}

/** Whether sealed-sender messages to this account are possible, and with which key. */
export type SealedSenderAccess =
  /** With the access key derived from their profile key. */
  | "enabled"
  /** With any access key: the owner accepts sealed sender from everyone. */
  | "unrestricted"
  /** Not at all (unknown or outdated profile key): send unsealed. */
  | "disabled";

export interface SignalProfile {
  aci: string;
  givenName: string | null;
  familyName: string | null;
  about: string | null;
  aboutEmoji: string | null;
  /** CDN 0 path of the encrypted avatar (see downloadProfileAvatar), or null. */
  avatarPath: string | null;
  /** `PublicKey.serialize()` of the account's identity key. */
  identityKey: Uint8Array;
  sealedSender: SealedSenderAccess;
  capabilities: Readonly<Record<string, boolean>>;
}

export interface FetchProfileOptions {
  /**
   * True when `chat` is an unauthenticated connection: the request then proves access with the
   * unidentified access key instead of our identity, so the server does not learn who asked.
   */
  unidentified?: boolean;
}

interface ProfileResponse {
  identityKey?: string;
  name?: string | null;
  about?: string | null;
  aboutEmoji?: string | null;
  avatar?: string | null;
  unidentifiedAccess?: string | null;
  unrestrictedUnidentifiedAccess?: boolean;
  capabilities?: Record<string, unknown>;
}

/** Fetches the profile of `aci` with its owner's profile key and decrypts its fields. */
export async function fetchProfile(
  chat: ChatRequester,
  aci: string,
  profileKey: Uint8Array,
  options: FetchProfileOptions = {},
): Promise<SignalProfile> {
  const accessKey = deriveAccessKey(profileKey);
  const path = `/v1/profile/${aci}/${profileKeyVersion(profileKey, aci)}`;
  const headers: Array<[string, string]> = options.unidentified
    ? [["unidentified-access-key", toBase64(accessKey)]]
    : [];
  const response = await chatRequest(chat, "GET", path, undefined, headers);
  if (response.status === 404) throw new ProfileNotFoundError(aci);
  if (response.status !== 200 || !response.json || typeof response.json !== "object") {
    const detail = response.status === 401 ? "the profile key or access key is not current" : "";
    throw new ServiceRequestError("GET", `/v1/profile/${aci}`, response.status, detail);
  }
  const body = response.json as ProfileResponse;
  const name = body.name ? decryptProfileName(profileKey, body.name) : null;
  return {
    aci,
    givenName: name?.givenName || null,
    familyName: name?.familyName ?? null,
    about: body.about ? decryptProfileText(profileKey, body.about, "about text") : null,
    aboutEmoji: body.aboutEmoji ? decryptProfileText(profileKey, body.aboutEmoji, "about emoji") : null,
    avatarPath: body.avatar || null,
    identityKey: body.identityKey ? fromBase64(body.identityKey) : new Uint8Array(),
    sealedSender: sealedSenderAccess(body, accessKey),
    capabilities: Object.fromEntries(
      Object.entries(body.capabilities ?? {}).filter(
        (entry): entry is [string, boolean] => typeof entry[1] === "boolean",
      ),
    ),
  };
}

function sealedSenderAccess(body: ProfileResponse, accessKey: Uint8Array): SealedSenderAccess {
  if (body.unrestrictedUnidentifiedAccess) return "unrestricted";
  if (body.unidentifiedAccess && accessKeyMatches(accessKey, fromBase64(body.unidentifiedAccess))) {
    return "enabled";
  }
  return "disabled";
}

/** "Given Family", or null when the profile has no name. */
export function profileDisplayName(profile: Pick<SignalProfile, "givenName" | "familyName">): string | null {
  const name = [profile.givenName, profile.familyName].filter((part) => part).join(" ");
  return name.length > 0 ? name : null;
}
