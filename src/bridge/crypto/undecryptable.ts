// Apart from bridge-crypto.ts so that the bridge can tell this failure without loading
// matrix-sdk-crypto-wasm and fake-indexeddb, which only installs with encryption.allow need.

/** A Matrix event the bridge could not decrypt; the message says why, for the sender. */
export class UndecryptableEventError extends Error {
  override name = "UndecryptableEventError";
}
