import type { Logger } from "../../logger.js";
import type { PortalRow, Store } from "../../store/index.js";
import type { BotCommand } from "../bot-commands.js";
import type { LoginManager } from "../logins.js";
import type { GroupEditor } from "./group-editor.js";

export interface LeaveConfirmationsOptions {
  store: Store;
  logins: LoginManager;
  editor: GroupEditor;
  /** Tells a user something in their management room. */
  tellUser(userId: string, text: string): Promise<void>;
  logger: Logger;
}

interface PendingLeave {
  number: number;
  portalKey: string;
  name: string;
}

/**
 * Leaving a group portal does not leave the Signal group at once: that is hard to undo (only a
 * member can add you back), and a room is left for many reasons. The user is asked in their
 * management room and confirms with `confirm-leave`. Unconfirmed, the account stays in the group
 * and the group's next message invites the user back. Pending questions last until the bridge
 * restarts.
 */
export class LeaveConfirmations {
  private readonly pending = new Map<string, PendingLeave[]>();
  private nextNumber = 1;

  constructor(private readonly options: LeaveConfirmationsOptions) {}

  /** `userId` left the room of a group their account is in: ask whether to leave the group. */
  async ask(userId: string, portal: PortalRow): Promise<void> {
    const asked = (this.pending.get(userId) ?? []).filter((entry) => entry.portalKey !== portal.portalKey);
    const entry = { number: this.nextNumber++, portalKey: portal.portalKey, name: portal.name ?? "a group" };
    this.pending.set(userId, [...asked, entry]);
    await this.options.tellUser(
      userId,
      `You left the room of the Signal group "${entry.name}", but your Signal account is still in the group ` +
        `(its next message invites you back). To leave the Signal group too, send: confirm-leave ${entry.number} ` +
        "(hard to undo: only a member can add you again).",
    );
  }

  /** The `confirm-leave <number>` command. */
  command(): BotCommand {
    return {
      name: "confirm-leave",
      summary: "Leave a Signal group whose room you left: confirm-leave <number from the question>.",
      needs: "user",
      run: async ({ sender, args, reply }) => {
        const asked = this.pending.get(sender) ?? [];
        const number = Number(args[0]);
        const entry =
          args[0] === undefined && asked.length === 1 ? asked[0] : asked.find((e) => e.number === number);
        if (!entry) {
          return reply(
            asked.length === 0
              ? "There is no group to leave: leave its room first."
              : `Which group? ${asked.map((e) => `confirm-leave ${e.number} for "${e.name}"`).join(", ")}.`,
          );
        }
        const portal = await this.options.store.bridge.portalByKey(entry.portalKey);
        const login = this.options.logins.loginOf(sender);
        if (!portal || !login) return reply("You are not logged in to Signal, or the group's room is gone.");
        const ownAci = login.client.account.aci;
        const outcome = await this.options.editor.edit(login, portal, (group) =>
          group.members.some((member) => member.aci === ownAci)
            ? [{ kind: "remove-member", aci: ownAci }]
            : [],
        );
        this.pending.set(
          sender,
          asked.filter((e) => e !== entry),
        );
        if (outcome.kind === "refused") return reply(`You did not leave "${entry.name}": ${outcome.reason}`);
        this.options.logger.info(`${sender} left group ${portal.chatId}`);
        await reply(`You left the Signal group "${entry.name}".`);
      },
    };
  }
}
