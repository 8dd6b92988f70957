// Profile fields are encrypted by their owner with the 32-byte profile key: AES-256-GCM with a
// random 12-byte nonce, stored as nonce || ciphertext || tag(16). Text fields are padded with NUL
// bytes to fixed lengths (so their length says little); the name is "given\0family".
import { createDecipheriv } from "node:crypto";
import { SignalClientError } from "../errors.js";

const PROFILE_KEY_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

/** A profile field did not decrypt: most likely the owner has a new profile key we lack. */
export class ProfileDecryptionError extends SignalClientError {
  constructor(field: string) {
    super(
      `The ${field} of a Signal profile could not be decrypted; the contact's profile key has probably ` +
        "changed. It is updated when they next message you.",
    );
  }
}

export interface ProfileName {
  givenName: string;
  /** Null when the owner set only a given name. */
  familyName: string | null;
}

/** Decrypts one encrypted profile field (raw bytes). */
export function decryptProfileBytes(
  profileKey: Uint8Array,
  encrypted: Uint8Array,
  field: string,
): Uint8Array {
  if (profileKey.length !== PROFILE_KEY_LENGTH) {
    throw new RangeError(`a profile key has ${PROFILE_KEY_LENGTH} bytes, not ${profileKey.length}`);
  }
  if (encrypted.length < NONCE_LENGTH + TAG_LENGTH) throw new ProfileDecryptionError(field);
  const nonce = encrypted.subarray(0, NONCE_LENGTH);
  const ciphertext = encrypted.subarray(NONCE_LENGTH, encrypted.length - TAG_LENGTH);
  const tag = encrypted.subarray(encrypted.length - TAG_LENGTH);
  try {
    const decipher = createDecipheriv("aes-256-gcm", profileKey, nonce);
    decipher.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  } catch {
    throw new ProfileDecryptionError(field);
  }
}

function fromBase64Field(value: string): Uint8Array {
  return new Uint8Array(Buffer.from(value, "base64"));
}

const utf8 = new TextDecoder();

/** Decrypts the base64 `name` of a profile into given and family name. */
export function decryptProfileName(profileKey: Uint8Array, encryptedBase64: string): ProfileName {
  const plain = decryptProfileBytes(profileKey, fromBase64Field(encryptedBase64), "name");
  // Given name up to the first NUL; family name is the run of non-NUL bytes after it.
  const givenEnd = indexOfNul(plain, 0);
  const familyEnd = givenEnd < plain.length ? indexOfNul(plain, givenEnd + 1) : givenEnd;
  const family = familyEnd > givenEnd + 1 ? utf8.decode(plain.subarray(givenEnd + 1, familyEnd)) : null;
  return { givenName: utf8.decode(plain.subarray(0, givenEnd)), familyName: family };
}

/** Decrypts a padded text field (about, about emoji); null when it is empty. */
export function decryptProfileText(
  profileKey: Uint8Array,
  encryptedBase64: string,
  field: string,
): string | null {
  const plain = decryptProfileBytes(profileKey, fromBase64Field(encryptedBase64), field);
  const text = utf8.decode(plain.subarray(0, indexOfNul(plain, 0)));
  return text.length > 0 ? text : null;
}

function indexOfNul(bytes: Uint8Array, from: number): number {
  const index = bytes.indexOf(0, from);
  return index === -1 ? bytes.length : index;
}
