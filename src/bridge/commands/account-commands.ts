import type { BotCommand } from "../bot-commands.js";
import type { CommandDeps } from "./command-deps.js";
import { loginMatrixCommand, logoutMatrixCommand } from "./double-puppet-commands.js";
import { listCommand } from "./list-command.js";
import { logoutCommand } from "./logout-command.js";
import { pmCommand } from "./pm-command.js";
import { messageRequestCommands } from "./message-request-commands.js";
import { portalCommands } from "./portal-commands.js";
import { safetyNumberCommand } from "./safety-number-command.js";
import { submitChallengeCommand } from "./submit-challenge-command.js";
import { syncCommand } from "./sync-command.js";

/**
 * The commands that work with a logged-in account: contacts, chats, safety numbers, logout,
 * rate-limit challenges, double puppeting, and those about the portal they are sent in.
 */
export function accountCommands(deps: CommandDeps): BotCommand[] {
  return [
    listCommand(deps),
    pmCommand(deps),
    safetyNumberCommand(deps),
    syncCommand(deps),
    logoutCommand(deps),
    submitChallengeCommand(deps),
    loginMatrixCommand(deps),
    logoutMatrixCommand(deps),
    ...portalCommands(deps),
    ...messageRequestCommands(deps),
  ];
}
