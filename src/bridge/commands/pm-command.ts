import type { BotCommand } from "../bot-commands.js";
import { bestName } from "../ghosts.js";
import { Portals } from "../portals.js";
import { type CommandDeps, requireLogin, roomLink } from "./command-deps.js";
import { lookUpContact, lookupProblem } from "./contact-lookup.js";

/** `pm <contact>`: opens the direct chat with a contact (or finds it) and invites the user. */
export function pmCommand({ store, logins, portals, ghosts, names }: CommandDeps): BotCommand {
  return {
    name: "pm",
    summary: "Start a chat with a contact: pm <name | phone number | ACI>.",
    needs: "user",
    async run({ sender, args, reply }) {
      const query = args.join(" ");
      if (query === "") {
        await reply("Whom do you want to chat with? Send pm followed by a name, phone number or ACI.");
        return;
      }
      const login = await requireLogin(logins, sender, reply);
      if (!login) return;
      const lookup = await lookUpContact(store.signalStorage(sender), login.client.account.aci, query);
      if (lookup.kind !== "found") {
        await reply(lookupProblem(query, lookup));
        return;
      }
      const contactNames = await names.namesOf(login, lookup.aci);
      const name = bestName(contactNames);
      const existed = store.bridge.portalByKey(Portals.directKey(sender, lookup.aci)) !== undefined;
      // The contact's ghost creates the room; it has its name before the user sees it.
      await ghosts.ensure(lookup.aci, contactNames);
      const portal = await portals.direct(sender, lookup.aci, name);
      if (existed) await portals.inviteToDirect(portal, sender);
      await reply(
        existed
          ? `You already have a chat with ${name}: ${roomLink(portal.roomId)} (invited you again in case you left it).`
          : `Opened a chat with ${name}: accept the invite to ${roomLink(portal.roomId)}.`,
      );
    },
  };
}
