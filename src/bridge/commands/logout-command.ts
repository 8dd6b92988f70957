import type { BotCommand } from "../bot-commands.js";
import { hasLogin, logOut } from "../log-out.js";
import type { CommandDeps } from "./command-deps.js";

/**
 * `logout`: removes this device from the Signal account (when the server allows it), stops the
 * client and deletes the account's Signal secrets. Portal rooms stay as they are.
 */
export function logoutCommand(deps: CommandDeps): BotCommand {
  const { store } = deps;
  return {
    name: "logout",
    summary: "Unlink the bridge from your Signal account and delete its Signal keys.",
    needs: "user",
    async run({ sender, reply }) {
      if (!(await hasLogin(deps, sender))) {
        await reply("You are not logged in.");
        return;
      }
      const unlinked = await logOut(deps, sender);
      const direct = await store.bridge.portalsOf(sender);
      const rooms =
        direct.length > 0
          ? `These chats stay as they are but are no longer bridged: ${direct.map((p) => p.name ?? p.roomId).join(", ")}. Group rooms stay too.`
          : "Your group rooms stay as they are but are no longer bridged for you.";
      await reply(`Logged out: the bridge deleted your Signal keys. ${unlinked}\n${rooms}`);
    },
  };
}
