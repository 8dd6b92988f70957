// Keys of the storage service. All of them derive from the account's master key, which itself
// derives from the account entropy pool on accounts that have one (every account since 2024).
import { createDecipheriv, createHmac } from "node:crypto";
import { hkdf } from "@signalapp/libsignal-client";
import { AccountEntropyPool } from "@signalapp/libsignal-client/dist/AccountKeys.js";
import { SignalClientError } from "../errors.js";

const STORAGE_SERVICE_KEY_INFO = "Storage Service Encryption";
const ITEM_KEY_INFO_PREFIX = "20240801_SIGNAL_STORAGE_SERVICE_ITEM_";
const KEY_LENGTH = 32;
const GCM_IV_LENGTH = 12;
const GCM_TAG_LENGTH = 16;

/** The account's secrets as the primary device shared them when linking. */
export interface AccountKeyMaterial {
  accountEntropyPool: string | null;
  masterKey: Uint8Array | null;
}

/** The storage service cannot be read with what this device knows, or a value did not decrypt. */
export class StorageServiceError extends SignalClientError {}

/** The master key: derived from the account entropy pool when there is one, else the one the phone sent. */
export function accountMasterKey(keys: AccountKeyMaterial): Uint8Array {
  if (keys.accountEntropyPool) return AccountEntropyPool.deriveSvrKey(keys.accountEntropyPool);
  if (keys.masterKey && keys.masterKey.length === KEY_LENGTH) return keys.masterKey;
  throw new StorageServiceError(
    "The phone did not share the account's master key with this device, so contacts and groups " +
      "cannot be read from the storage service. Link the device again with an up-to-date Signal app.",
  );
}

function hmacSha256(key: Uint8Array, text: string): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(text, "utf8").digest());
}

export function deriveStorageServiceKey(masterKey: Uint8Array): Uint8Array {
  return hmacSha256(masterKey, STORAGE_SERVICE_KEY_INFO);
}

export function deriveManifestKey(storageServiceKey: Uint8Array, version: number): Uint8Array {
  return hmacSha256(storageServiceKey, `Manifest_${version}`);
}

/**
 * The key of one record. Manifests written by current apps carry `recordIkm`, from which each
 * record's key derives with HKDF; older manifests key records off the storage service key.
 */
export function deriveItemKey(
  storageServiceKey: Uint8Array,
  recordIkm: Uint8Array | null,
  rawId: Uint8Array,
): Uint8Array {
  if (!recordIkm || recordIkm.length === 0) {
    return hmacSha256(storageServiceKey, `Item_${Buffer.from(rawId).toString("base64")}`);
  }
  const info = new Uint8Array(Buffer.concat([Buffer.from(ITEM_KEY_INFO_PREFIX, "utf8"), rawId]));
  return hkdf(KEY_LENGTH, new Uint8Array(recordIkm), info, null);
}

/** Opens a storage value: `iv(12) || AES-256-GCM ciphertext || tag(16)`. */
export function decryptStorageValue(key: Uint8Array, value: Uint8Array, what: string): Uint8Array {
  if (value.length < GCM_IV_LENGTH + GCM_TAG_LENGTH) {
    throw new StorageServiceError(`The storage service returned a truncated ${what}.`);
  }
  const iv = value.subarray(0, GCM_IV_LENGTH);
  const tag = value.subarray(value.length - GCM_TAG_LENGTH);
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  decipher.setAuthTag(tag);
  try {
    return new Uint8Array(
      Buffer.concat([
        decipher.update(value.subarray(GCM_IV_LENGTH, value.length - GCM_TAG_LENGTH)),
        decipher.final(),
      ]),
    );
  } catch (error) {
    throw new StorageServiceError(
      `The ${what} from the storage service does not decrypt with this account's keys; ` +
        "the phone may have changed its keys. Link the device again.",
      { cause: error },
    );
  }
}
