import type { BotCommand } from "../bot-commands.js";
import { DoublePuppetLoginError, TOKEN_PLACEHOLDER } from "../puppets/index.js";
import type { CommandDeps } from "./command-deps.js";
import { requireLogin } from "./command-deps.js";

/**
 * `login-matrix <access token>`: double puppeting for a user whose server has no configured
 * secret: what they send from their phone then appears from their own Matrix account.
 */
export function loginMatrixCommand(deps: CommandDeps): BotCommand {
  const { doublePuppets, logins } = deps;
  return {
    name: "login-matrix",
    summary:
      "Give the bridge an access token of your Matrix account, so what you send from your phone appears from your own account.",
    needs: "user",
    async run({ sender, args, reply }) {
      // The token itself never reaches the journal: intake kept it aside (see withoutSecrets).
      const token = args[0] === TOKEN_PLACEHOLDER ? doublePuppets.takePendingToken(sender) : undefined;
      if (!(await requireLogin(logins, sender, reply))) return;
      if (args[0] === TOKEN_PLACEHOLDER && token === undefined) {
        await reply("The bridge restarted before it read your token; send login-matrix with it again.");
        return;
      }
      if (!token || args.length !== 1) {
        await reply("Usage: login-matrix <access token> (log in anew to get a token only the bridge uses).");
        return;
      }
      try {
        await doublePuppets.login(sender, token);
      } catch (error) {
        if (error instanceof DoublePuppetLoginError) {
          await reply(error.message);
          return;
        }
        deps.logger.warn(`login-matrix of ${sender} failed: ${(error as Error).message}`);
        await reply("Your homeserver could not be asked about the token; try again later.");
        return;
      }
      await reply(
        "Double puppeting is on: what you send from your phone now appears from your own account. " +
          "Delete your message with the token from this room; the bridge keeps it encrypted.",
      );
    },
  };
}

/** `logout-matrix`: the bridge forgets the user's access token and speaks as their ghost again. */
export function logoutMatrixCommand(deps: CommandDeps): BotCommand {
  const { doublePuppets } = deps;
  return {
    name: "logout-matrix",
    summary:
      "Make the bridge forget your Matrix access token (your phone's messages appear from your ghost again).",
    needs: "user",
    async run({ sender, reply }) {
      if (doublePuppets.hasSecret(sender)) {
        await reply(
          "Double puppeting is set up for your whole server by the bridge's admin; there is no token of yours to forget.",
        );
        return;
      }
      await reply(
        (await doublePuppets.logout(sender))
          ? "The bridge forgot your access token. Log that session out in your client's session list to end it."
          : "The bridge has no access token of yours.",
      );
    },
  };
}
