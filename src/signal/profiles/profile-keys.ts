// What a profile key derives: the version that names the profile on the server, and the
// unidentified access key that lets sealed-sender messages (and profile fetches) skip our identity.
import { createHmac, timingSafeEqual } from "node:crypto";
import { Aci } from "@signalapp/libsignal-client";
import { ProfileKey } from "@signalapp/libsignal-client/dist/zkgroup/index.js";

const ACCESS_KEY_VERIFIER_INPUT = new Uint8Array(32);

/** Hex version of a profile key for one ACI (the last segment of the profile route). */
export function profileKeyVersion(profileKey: Uint8Array, aci: string): string {
  return new ProfileKey(new Uint8Array(profileKey)).getProfileKeyVersion(Aci.fromUuid(aci)).toString();
}

/** The 16-byte unidentified access key for the owner of `profileKey`. */
export function deriveAccessKey(profileKey: Uint8Array): Uint8Array {
  return new ProfileKey(new Uint8Array(profileKey)).deriveAccessKey();
}

/** Whether the server's `unidentifiedAccess` verifier (HMAC-SHA256 of 32 zero bytes) matches the access key. */
export function accessKeyMatches(accessKey: Uint8Array, verifier: Uint8Array): boolean {
  const expected = createHmac("sha256", accessKey).update(ACCESS_KEY_VERIFIER_INPUT).digest();
  return verifier.length === expected.length && timingSafeEqual(expected, verifier);
}
