import type { BotCommand } from "../bot-commands.js";
import { type ChatOutcome, type ChatSyncReport, syncChats } from "../chat-sync.js";
import { type CommandDeps, requireLogin } from "./command-deps.js";

/**
 * `sync`: reads contacts, groups and pinned chats from Signal's storage service, renames ghosts
 * whose names changed, and creates the portals that are missing.
 */
export function syncCommand(deps: CommandDeps): BotCommand {
  return {
    name: "sync",
    summary: "Fetch your contacts and groups from Signal again: rename contacts, create missing rooms.",
    needs: "user",
    async run({ sender, reply }) {
      const login = await requireLogin(deps.logins, sender, reply);
      if (!login) return;
      const report = await syncChats(deps, login);
      await reply(
        report
          ? describeChatSync(report)
          : "Your phone has not saved any contacts or groups to Signal's storage service yet: nothing to sync.",
      );
    },
  };
}

/** The sync report as the user reads it: one line per chat. */
export function describeChatSync(report: ChatSyncReport): string {
  const contacts = `Contacts: ${report.contactsRead} read, ${report.contactsUpdated} updated${
    report.renamed.length > 0 ? `, renamed: ${report.renamed.join(", ")}` : ""
  }.`;
  return [
    `Sync done (storage version ${report.storageVersion}).`,
    contacts,
    report.groups.length === 0 ? "Groups: none." : `Groups: ${report.groups.length}.`,
    ...report.groups.map(outcomeLine),
    ...(report.pinned.length > 0
      ? [`Pinned chats: ${report.pinned.length}.`, ...report.pinned.map(outcomeLine)]
      : []),
  ].join("\n");
}

function outcomeLine({ name, outcome, problem }: ChatOutcome): string {
  switch (outcome) {
    case "existed":
      return `• ${name}: room already there`;
    case "created":
      return `• ${name}: room created, accept the invite`;
    case "failed":
      return `• ${name} could not be synced: ${problem ?? "unknown error"}`;
  }
}
