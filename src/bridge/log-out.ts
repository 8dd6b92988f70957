import type { Logger } from "../logger.js";
import { unlinkOwnDevice } from "../signal/index.js";
import type { Store } from "../store/index.js";
import type { Login, LoginManager } from "./logins.js";

// The server may be unreachable; logging out locally must not wait for it for long.
const UNLINK_TIMEOUT_MS = 15_000;

export interface LogOutDeps {
  store: Store;
  logins: LoginManager;
  logger: Logger;
}

/** Whether the user has a login to log out of: running, or stored (e.g. refused by Signal). */
export async function hasLogin({ store, logins }: LogOutDeps, userId: string): Promise<boolean> {
  return logins.loginOf(userId) !== undefined || (await store.listSignalAccounts()).includes(userId);
}

/**
 * Removes this device from the user's Signal account (when the server allows it), stops the
 * client and deletes the account's Signal secrets. Portal rooms stay as they are. Resolves to a
 * sentence saying what became of the linked device.
 */
export async function logOut(deps: LogOutDeps, userId: string): Promise<string> {
  const { logins, logger } = deps;
  const login = logins.loginOf(userId);
  const unlinked = login ? await unlink(login, logger) : "The device was already unlinked.";
  await logins.remove(userId);
  logger.info(`${userId} logged out`);
  return unlinked;
}

async function unlink(login: Login, logger: Logger): Promise<string> {
  const { deviceId } = login.client.account;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      unlinkOwnDevice(login.client.chat, deviceId),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("the Signal server did not answer in time")),
          UNLINK_TIMEOUT_MS,
        );
      }),
    ]);
    return "It is removed from your phone's linked devices.";
  } catch (error) {
    logger.warn(`could not unlink device ${deviceId} of ${login.userId}`, error);
    return `The Signal server did not remove this device (${(error as Error).message}): remove it on your phone under Settings → Linked devices.`;
  } finally {
    clearTimeout(timer);
  }
}
