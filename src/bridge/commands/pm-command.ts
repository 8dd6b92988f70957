import type { BotCommand } from "../bot-commands.js";
import type { Login } from "../logins.js";
import { type OpenedDirectChat, openDirectChat } from "../open-direct-chat.js";
import { type CommandDeps, requireLogin, roomLink } from "./command-deps.js";
import { lookupProblem, resolveContact } from "./contact-lookup.js";

/**
 * `pm <contact>`: opens the direct chat with a contact (or finds it) and invites the user. A phone
 * number that is not among the contacts is looked up on Signal.
 */
export function pmCommand(
  deps: CommandDeps,
  openChat: (login: Login, aci: string) => Promise<OpenedDirectChat> = (login, aci) =>
    openDirectChat(deps, login, aci),
): BotCommand {
  const { store, logins, discovery } = deps;
  return {
    name: "pm",
    summary: "Start a chat with a contact: pm <name | phone number | username | ACI>.",
    needs: "user",
    async run({ sender, args, reply }) {
      const query = args.join(" ");
      if (query === "") {
        await reply(
          "Whom do you want to chat with? Send pm followed by a name, phone number, username or ACI.",
        );
        return;
      }
      const login = await requireLogin(logins, sender, reply);
      if (!login) return;
      const lookup = await resolveContact(await store.signalStorage(sender), login, discovery, query);
      if (lookup.kind !== "found") {
        await reply(lookupProblem(query, lookup));
        return;
      }
      const { portal, name, existed } = await openChat(login, lookup.aci);
      await reply(
        existed
          ? `You already have a chat with ${name}: ${roomLink(portal.roomId)} (invited you again in case you left it).`
          : `Opened a chat with ${name}: accept the invite to ${roomLink(portal.roomId)}.`,
      );
    },
  };
}
