import { randomBytes } from "node:crypto";

import { CorruptRecordError, KeyMismatchError } from "./errors.js";
import { KEY_BYTES, open, rowBinding, seal } from "./sealing.js";
import { KEY_MISMATCH_MESSAGE } from "./bridge-key.js";

// Each account's secrets are sealed under a data key of its own, stored wrapped by the bridge
// key. Deleting an account's row destroys the only copy of its data key, and the account id in
// the associated data stops a wrapped key from being reused for another account.
function wrapBinding(accountId: string): Buffer {
  return rowBinding("signal_accounts.data_key_wrapped", accountId);
}

export function newWrappedDataKey(
  bridgeKey: Uint8Array,
  accountId: string,
): { key: Buffer; wrapped: Buffer } {
  const key = randomBytes(KEY_BYTES);
  return { key, wrapped: seal(bridgeKey, key, wrapBinding(accountId)) };
}

export function unwrapDataKey(bridgeKey: Uint8Array, accountId: string, wrapped: Uint8Array): Buffer {
  try {
    return open(bridgeKey, wrapped, wrapBinding(accountId));
  } catch (error) {
    if (error instanceof CorruptRecordError) {
      throw new KeyMismatchError(
        `${KEY_MISMATCH_MESSAGE}: the data key of account ${accountId} cannot be decrypted with the ` +
          `configured key file (or its row was altered)`,
      );
    }
    throw error;
  }
}
