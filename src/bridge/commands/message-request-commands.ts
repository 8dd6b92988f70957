import type { PortalRow } from "../../store/index.js";
import type { BotCommand, CommandContext } from "../bot-commands.js";
import type { Login } from "../logins.js";
import { type CommandDeps, requireLogin } from "./command-deps.js";
import { portalOf } from "./portal-commands.js";

/** The portal and the sender's login, when the sender's account is in its chat; else says why. */
async function ownChat(
  deps: CommandDeps,
  context: CommandContext,
): Promise<{ portal: PortalRow; login: Login } | undefined> {
  const portal = await portalOf(deps, context);
  if (!portal) return undefined;
  const login = await requireLogin(deps.logins, context.sender, context.reply);
  if (!login) return undefined;
  if (!(await deps.relay.hasChat(login, portal))) {
    await context.reply("Your Signal account is not in this chat.");
    return undefined;
  }
  return { portal, login };
}

/** `accept`: accepts the portal's message request: replies, read receipts and typing go back. */
export function acceptCommand(deps: CommandDeps): BotCommand {
  return {
    name: "accept",
    summary: "In a message request: accept it, so that you can reply.",
    needs: "user",
    async run(context) {
      const chat = await ownChat(deps, context);
      if (!chat) return;
      if (!(await deps.requests.isPending(chat.portal)))
        return context.reply("This chat is no message request.");
      await deps.requests.answer(chat.login, chat.portal, "accept");
      await context.reply("Message request accepted: you can reply now.");
    },
  };
}

/** `block`: blocks the portal's contact (or group) for the sender: nothing of it is bridged any more. */
export function blockCommand(deps: CommandDeps): BotCommand {
  return {
    name: "block",
    summary: "In a portal: block the contact (or group) on Signal; nothing of it is bridged any more.",
    needs: "user",
    async run(context) {
      const chat = await ownChat(deps, context);
      if (!chat) return;
      await deps.requests.answer(chat.login, chat.portal, "block");
      const what = chat.portal.kind === "direct" ? (chat.portal.name ?? "this contact") : "this group";
      await context.reply(
        `Blocked ${what}: their messages are not bridged any more. Send !signal unblock to undo.`,
      );
    },
  };
}

/** `unblock`: undoes `block` (or a block made on the phone). */
export function unblockCommand(deps: CommandDeps): BotCommand {
  return {
    name: "unblock",
    summary: "In a portal: unblock the contact (or group) you blocked.",
    needs: "user",
    async run(context) {
      const chat = await ownChat(deps, context);
      if (!chat) return;
      if (!(await deps.requests.isBlocked(context.sender, chat.portal.chatId)))
        return context.reply("This chat is not blocked.");
      await deps.requests.answer(chat.login, chat.portal, "unblock");
      await context.reply("Unblocked: their messages are bridged again.");
    },
  };
}

/** The commands that answer message requests and block chats. */
export function messageRequestCommands(deps: CommandDeps): BotCommand[] {
  return [acceptCommand(deps), blockCommand(deps), unblockCommand(deps)];
}
