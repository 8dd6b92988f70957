import {
  GroupAccessDeniedError,
  groupIdOf,
  InvalidGroupLinkError,
  parseGroupInviteLink,
  type GroupInviteLink,
} from "../../signal/index.js";
import type { BotCommand } from "../bot-commands.js";
import type { GroupEditor } from "../groups/index.js";
import { type CommandDeps, requireLogin, roomLink } from "./command-deps.js";

/**
 * `join <group link>`: joins a Signal group by its link (or asks to, when an admin has to approve)
 * and opens its portal.
 */
export function joinCommand(deps: CommandDeps, editor: GroupEditor): BotCommand {
  const { logins, groups, groupPortals } = deps;
  return {
    name: "join",
    summary: "Join a Signal group by its link: join <https://signal.group/#...>.",
    needs: "user",
    async run({ sender, args, reply }) {
      const login = await requireLogin(logins, sender, reply);
      if (!login) return;
      let link: GroupInviteLink;
      try {
        link = parseGroupInviteLink(args.join(""));
      } catch (error) {
        if (error instanceof InvalidGroupLinkError) return reply(error.message);
        throw error;
      }
      if (await groups.isMember(login, groupIdOf(link.masterKey))) {
        const portal = await groupPortals.portalOf(login, link.masterKey);
        return reply(
          `You are in "${portal.name ?? "this group"}" already: ${roomLink(portal.roomId)} (invited you again).`,
        );
      }
      let info;
      try {
        info = await groups.joinInfo(login, link);
      } catch (error) {
        if (error instanceof GroupAccessDeniedError) {
          return reply(
            "This group link does not work any more: it was turned off or reset. Ask for a new one.",
          );
        }
        throw error;
      }
      if (info.access !== "anyone" && info.access !== "admins") {
        return reply(`The link of "${info.title}" is turned off. Ask an admin to add you.`);
      }
      if (info.pendingApproval) {
        return reply(`You asked to join "${info.title}" already; an admin of the group has to approve.`);
      }
      const outcome = await groups.joinByLink(login, link, info);
      if (outcome.kind === "requested") {
        return reply(
          `Asked to join "${info.title}": an admin of the group has to approve. You will be invited to its room then.`,
        );
      }
      const portal = await groupPortals.portalOf(login, link.masterKey);
      await editor.announce(login, outcome.group, outcome.signedChange);
      await reply(`Joined "${info.title}": accept the invite to ${roomLink(portal.roomId)}.`);
    },
  };
}
