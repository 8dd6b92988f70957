import type { PermissionLevel } from "../config/index.js";
import { hasPermission } from "./permissions.js";

/** What a command handler may use; one context per invocation. */
export interface CommandContext {
  roomId: string;
  /** The command's event: a key for what it sends, so that running it again sends the same. */
  eventId: string;
  sender: string;
  senderLevel: PermissionLevel | undefined;
  args: string[];
  reply(text: string, html?: string): Promise<void>;
}

export interface BotCommand {
  name: string;
  /** One line for `help`. */
  summary: string;
  /** Lowest permission level that may run it. */
  needs: PermissionLevel;
  run(context: CommandContext): Promise<void>;
}

/** The prefix that marks a command outside the management room. */
export const commandPrefix = "!signal";

/** Escapes text for the HTML body of a notice. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
}

/** The `help` command, listing the commands the asking user may run. */
export function helpCommand(commands: () => readonly BotCommand[]): BotCommand {
  return {
    name: "help",
    summary: "Show this list of commands.",
    needs: "relay",
    async run(context) {
      const usable = commands().filter((c) => hasPermission(context.senderLevel, c.needs));
      const intro = `Commands (type them here as they are; in other rooms start with ${commandPrefix}):`;
      await context.reply(
        [intro, ...usable.map((c) => `• ${c.name}: ${c.summary}`)].join("\n"),
        `<p>${escapeHtml(intro)}</p><ul>${usable
          .map((c) => `<li><code>${escapeHtml(c.name)}</code>: ${escapeHtml(c.summary)}</li>`)
          .join("")}</ul>`,
      );
    },
  };
}

/** Whether a message event is a command with the prefix (the only kind outside management rooms). */
export function isPrefixedCommand(event: { type: string; content: Record<string, unknown> }): boolean {
  const { body, msgtype } = event.content;
  return (
    event.type === "m.room.message" &&
    (msgtype === "m.text" || msgtype === "m.notice") &&
    typeof body === "string" &&
    parseCommand(body, false) !== undefined
  );
}

/** Splits a message into a command name and arguments, or undefined when it is no command. */
export function parseCommand(
  body: string,
  inManagementRoom: boolean,
): { name: string; args: string[] } | undefined {
  let text = body.trim();
  if (text.toLowerCase().startsWith(commandPrefix + " ") || text.toLowerCase() === commandPrefix) {
    text = text.slice(commandPrefix.length).trim();
  } else if (!inManagementRoom) {
    return undefined;
  }
  const [name, ...args] = text.split(/\s+/).filter((word) => word.length > 0);
  return name === undefined ? undefined : { name: name.toLowerCase(), args };
}
