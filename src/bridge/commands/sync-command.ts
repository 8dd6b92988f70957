import { groupIdOf, saveStorageContacts } from "../../signal/index.js";
import type { BotCommand } from "../bot-commands.js";
import type { Login } from "../logins.js";
import { Portals } from "../portals.js";
import { type CommandDeps, requireLogin } from "./command-deps.js";
import { readStorageSnapshot } from "./storage-snapshot.js";

/**
 * `sync`: reads contacts and groups from Signal's storage service, renames ghosts whose names
 * changed, and creates the portals of groups that have none yet.
 */
export function syncCommand(deps: CommandDeps): BotCommand {
  const { store, logins, logger } = deps;
  return {
    name: "sync",
    summary: "Fetch your contacts and groups from Signal again: rename contacts, create missing group rooms.",
    needs: "user",
    async run({ sender, reply }) {
      const login = await requireLogin(logins, sender, reply);
      if (!login) return;
      const snapshot = await readStorageSnapshot(store, login);
      if (!snapshot) {
        await reply(
          "Your phone has not saved any contacts or groups to Signal's storage service yet: nothing to sync.",
        );
        return;
      }
      const changed = await saveStorageContacts(store.signalStorage(sender), snapshot.contacts);
      const renamed = await renameGhosts(deps, login);
      const groupReport = await syncGroups(
        deps,
        login,
        snapshot.groups.filter((group) => !group.blocked).map((group) => group.masterKey),
      );
      logger.info(`sync of ${sender}: ${changed.length} contacts changed, ${renamed.length} ghosts renamed`);
      await reply(
        [
          `Sync done (storage version ${snapshot.version}).`,
          `Contacts: ${snapshot.contacts.length} read, ${changed.length} updated${renamed.length > 0 ? `, renamed: ${renamed.join(", ")}` : ""}.`,
          ...groupReport,
        ].join("\n"),
      );
    },
  };
}

/** Gives every existing ghost of the user's contacts its current name; returns the new names. */
async function renameGhosts({ store, ghosts, names }: CommandDeps, login: Login): Promise<string[]> {
  const renamed: string[] = [];
  for (const recipient of await store.signalStorage(login.userId).listRecipients()) {
    const before = store.bridge.ghost(recipient.aci);
    if (!before) continue;
    await ghosts.ensure(recipient.aci, await names.namesOf(login, recipient.aci));
    const after = store.bridge.ghost(recipient.aci)?.displayName;
    if (after !== undefined && after !== before.displayName) renamed.push(after);
  }
  return renamed;
}

/** Creates missing group portals (and invites the user into existing ones); one report line each. */
async function syncGroups(
  { store, groupPortals, logger }: CommandDeps,
  login: Login,
  masterKeys: Uint8Array[],
): Promise<string[]> {
  if (masterKeys.length === 0) return ["Groups: none."];
  const lines = [`Groups: ${masterKeys.length}.`];
  for (const masterKey of masterKeys) {
    try {
      const existed = store.bridge.portalByKey(Portals.groupKey(groupIdOf(masterKey))) !== undefined;
      const portal = await groupPortals.portalOf(login, masterKey);
      lines.push(`• ${portal.name}: ${existed ? "room already there" : "room created, accept the invite"}`);
    } catch (error) {
      logger.warn(`sync of a group of ${login.userId} failed`, error);
      lines.push(`• a group could not be synced: ${(error as Error).message}`);
    }
  }
  return lines;
}
