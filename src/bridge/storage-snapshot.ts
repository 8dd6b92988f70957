import { StorageServiceReader, type StorageServiceSnapshot } from "../signal/index.js";
import type { Store } from "../store/index.js";
import type { Login } from "./logins.js";

/**
 * The account's current storage service state (contacts and groups as the phone keeps them), or
 * null when the phone never wrote any. Throws StorageServiceError when it cannot be read.
 */
export async function readStorageSnapshot(
  store: Store,
  login: Login,
): Promise<StorageServiceSnapshot | null> {
  const account = await (await store.signalStorage(login.userId)).getAccount();
  if (!account) return null;
  const reader = new StorageServiceReader({
    environment: login.client.environment,
    chat: login.client.chat,
    keys: account,
  });
  return reader.read();
}
