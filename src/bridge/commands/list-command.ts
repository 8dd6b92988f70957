import type { BotCommand } from "../bot-commands.js";
import type { GroupDirectory } from "../group-directory.js";
import type { Login } from "../logins.js";
import type { Store } from "../../store/index.js";
import { type CommandDeps, requireLogin } from "./command-deps.js";
import { contactsOf, describeContact } from "./contact-lookup.js";
import { readStorageSnapshot } from "../storage-snapshot.js";

/** `list`: the user's Signal contacts and groups, one line each. */
export function listCommand({ store, logins, groups }: CommandDeps): BotCommand {
  return {
    name: "list",
    summary: "List your Signal contacts and groups.",
    needs: "user",
    async run({ sender, reply }) {
      const login = await requireLogin(logins, sender, reply);
      if (!login) return;
      const contacts = await contactsOf(await store.signalStorage(sender), login.client.account.aci);
      await reply(
        [
          contacts.length > 0 ? `Contacts (${contacts.length}):` : "No contacts yet.",
          ...contacts.map((contact) => `• ${describeContact(contact)}`),
          ...(await groupLines(store, groups, login)),
        ].join("\n"),
      );
    },
  };
}

/** The groups the phone keeps in the storage service, with titles from the groups service. */
async function groupLines(store: Store, groups: GroupDirectory, login: Login): Promise<string[]> {
  let snapshot;
  try {
    snapshot = await readStorageSnapshot(store, login);
  } catch (error) {
    return [`Groups: could not read them from Signal's storage service (${(error as Error).message}).`];
  }
  const listed = (snapshot?.groups ?? []).filter((group) => !group.blocked);
  if (listed.length === 0) return ["No groups."];
  const lines = [`Groups (${listed.length}):`];
  for (const group of listed) {
    try {
      const info = await groups.infoOf(login, group.masterKey);
      lines.push(`• ${info.title}: ${info.id}`);
    } catch (error) {
      lines.push(`• a group whose details could not be fetched (${(error as Error).message})`);
    }
  }
  return lines;
}
