import type { PortalRow } from "../../store/index.js";
import type { BotCommand, CommandContext } from "../bot-commands.js";
import { bestName } from "../ghosts.js";
import { hasPermission } from "../permissions.js";
import type { CommandDeps } from "./command-deps.js";

/** The portal a command was sent in, or undefined after telling the sender it needs one. */
export async function portalOf(deps: CommandDeps, context: CommandContext): Promise<PortalRow | undefined> {
  const portal = await deps.store.bridge.portalByRoom(context.roomId);
  if (!portal) {
    await context.reply(
      "This command works in a room bridged to a Signal chat: send it there as !signal <command>.",
    );
  }
  return portal;
}

/** Whether the sender may manage the portal: a bridge admin, or their Signal account is in its chat. */
async function mayManage(deps: CommandDeps, context: CommandContext, portal: PortalRow): Promise<boolean> {
  if (hasPermission(context.senderLevel, "admin")) return true;
  const login = deps.logins.loginOf(context.sender);
  return login !== undefined && (await deps.relay.hasChat(login, portal));
}

/** `id`: the Signal identifier of the portal's chat (group id, or the contact's ACI). */
export function idCommand(deps: CommandDeps): BotCommand {
  return {
    name: "id",
    summary: "In a portal: show the Signal identifier of its chat (group id or contact ACI).",
    needs: "user",
    async run(context) {
      const portal = await portalOf(deps, context);
      if (!portal) return;
      if (portal.kind === "group") {
        await context.reply(`Signal group id: ${portal.chatId}`);
        return;
      }
      const storage = await deps.store.signalStorage(portal.receiver ?? context.sender);
      const recipient = await storage.getRecipient(portal.chatId);
      const name = recipient ? bestName(recipient) : (portal.name ?? "this contact");
      const number = recipient?.number ? `, phone number ${recipient.number}` : "";
      await context.reply(`Signal ACI of ${name}: ${portal.chatId}${number}`);
    },
  };
}

/** `set-relay`: the sender's Signal account relays, with their names, users without a login. */
export function setRelayCommand(deps: CommandDeps): BotCommand {
  return {
    name: "set-relay",
    summary:
      "In a portal: send what Matrix users without a Signal login write here through your Signal account, with their names.",
    needs: "user",
    async run(context) {
      const portal = await portalOf(deps, context);
      if (!portal) return;
      const { relay, logins } = deps;
      const refusal = relay.refusalToChange(context.senderLevel);
      if (refusal) return context.reply(refusal);
      const login = logins.loginOf(context.sender);
      if (!login || !(await relay.hasChat(login, portal))) {
        return context.reply("Your Signal account is not in this chat, so it cannot relay for it.");
      }
      await relay.setRelay(portal, context.sender);
      await context.reply(
        `Relay mode is on: what Matrix users without a Signal login write here goes to Signal through the account of ${context.sender}, with their names. Send !signal unset-relay to stop.`,
      );
    },
  };
}

/** `unset-relay`: users without a login are no longer relayed in the portal. */
export function unsetRelayCommand(deps: CommandDeps): BotCommand {
  return {
    name: "unset-relay",
    summary: "In a portal: stop relaying Matrix users without a Signal login.",
    needs: "user",
    async run(context) {
      const portal = await portalOf(deps, context);
      if (!portal) return;
      const { relay } = deps;
      if (!(await relay.relayOf(portal))) return context.reply("This room has no relay.");
      const refusal = relay.refusalToChange(context.senderLevel);
      if (refusal) return context.reply(refusal);
      if (!(await mayManage(deps, context, portal))) {
        return context.reply(
          "Only a user whose Signal account is in this chat, or a bridge admin, may do that.",
        );
      }
      await relay.setRelay(portal, undefined);
      await context.reply(
        "Relay mode is off: Matrix users without a Signal login are no longer relayed here.",
      );
    },
  };
}

/**
 * `delete-portal`: the bridge leaves the room and forgets it; the Signal chat stays as it is (its
 * next message opens a new room). Its owner (direct chat), a member's account (group) or a bridge
 * admin may do it.
 */
export function deletePortalCommand(deps: CommandDeps): BotCommand {
  return {
    name: "delete-portal",
    summary: "In a portal: stop bridging this room (the bridge leaves it); the Signal chat is not touched.",
    needs: "user",
    async run(context) {
      const portal = await portalOf(deps, context);
      if (!portal) return;
      if (!(await mayManage(deps, context, portal))) {
        return context.reply(
          "Only a user whose Signal account is in this chat, or a bridge admin, may do that.",
        );
      }
      await deps.portals.forget(
        portal,
        "This room is no longer bridged to Signal; the Signal chat itself is untouched. Its next message opens a new room.",
      );
    },
  };
}

/** The commands that act on the portal they are sent in. */
export function portalCommands(deps: CommandDeps): BotCommand[] {
  return [idCommand(deps), setRelayCommand(deps), unsetRelayCommand(deps), deletePortalCommand(deps)];
}
