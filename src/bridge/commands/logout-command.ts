import { unlinkOwnDevice } from "../../signal/index.js";
import type { BotCommand } from "../bot-commands.js";
import type { Login } from "../logins.js";
import type { CommandDeps } from "./command-deps.js";

// The server may be unreachable; logging out locally must not wait for it for long.
const UNLINK_TIMEOUT_MS = 15_000;

/**
 * `logout`: removes this device from the Signal account (when the server allows it), stops the
 * client and deletes the account's Signal secrets. Portal rooms stay as they are.
 */
export function logoutCommand({ store, logins, logger }: CommandDeps): BotCommand {
  return {
    name: "logout",
    summary: "Unlink the bridge from your Signal account and delete its Signal keys.",
    needs: "user",
    async run({ sender, reply }) {
      const login = logins.loginOf(sender);
      const stored = store.listSignalAccounts().includes(sender);
      if (!login && !stored) {
        await reply("You are not logged in.");
        return;
      }
      const unlinked = login ? await unlink(login) : "The device was already unlinked.";
      await logins.logout(sender);
      store.deleteSignalAccount(sender);
      logger.info(`${sender} logged out`);

      const direct = store.bridge.portalsOf(sender);
      const rooms =
        direct.length > 0
          ? `These chats stay as they are but are no longer bridged: ${direct.map((p) => p.name ?? p.roomId).join(", ")}. Group rooms stay too.`
          : "Your group rooms stay as they are but are no longer bridged for you.";
      await reply(`Logged out: the bridge deleted your Signal keys. ${unlinked}\n${rooms}`);
    },
  };

  async function unlink(login: Login): Promise<string> {
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
}
