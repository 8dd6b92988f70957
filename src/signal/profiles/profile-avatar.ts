// Profile avatars live on CDN 0 under the path the profile names, encrypted like other profile
// fields (AES-256-GCM with the profile key) but without padding.
import type { SignalEnvironment } from "../environment.js";
import { httpsRequestOk } from "../service-https.js";
import { decryptProfileBytes } from "./profile-cipher.js";

/** Signal clients refuse to upload larger avatars; anything bigger is not a real one. */
const DEFAULT_MAX_AVATAR_BYTES = 10 * 1024 * 1024;

/** Downloads and decrypts a profile avatar; `avatarPath` comes from the fetched profile. */
export async function downloadProfileAvatar(
  environment: SignalEnvironment,
  avatarPath: string,
  profileKey: Uint8Array,
  options: { maxBytes?: number; signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  const base = environment.cdnUrls[0];
  if (base === undefined) throw new RangeError("the environment names no CDN 0 for profile avatars");
  const path = avatarPath.split("/").map(encodeURIComponent).join("/");
  const response = await httpsRequestOk(environment, `${base}/${path}`, {
    maxBytes: options.maxBytes ?? DEFAULT_MAX_AVATAR_BYTES,
    signal: options.signal,
  });
  return decryptProfileBytes(profileKey, response.body, "avatar");
}
