import type { Logger } from "../logger.js";
import { groupIdOf, saveStorageContacts, type StorageServiceSnapshot } from "../signal/index.js";
import type { Store } from "../store/index.js";
import type { ContactNameDirectory } from "./contact-names.js";
import type { Ghosts } from "./ghosts.js";
import type { GroupPortalSync } from "./group-portal-sync.js";
import type { Login } from "./logins.js";
import type { MessageRequests } from "./message-requests.js";
import { openDirectChat } from "./open-direct-chat.js";
import { Portals } from "./portals.js";
import { readStorageSnapshot } from "./storage-snapshot.js";

export interface ChatSyncDeps {
  store: Store;
  /** Blocked chats and accepted message requests follow the storage service. */
  requests: MessageRequests;
  portals: Portals;
  ghosts: Ghosts;
  names: ContactNameDirectory;
  groupPortals: GroupPortalSync;
  logger: Logger;
}

/** What happened to one chat: its portal was there, was created, or could not be made. */
export interface ChatOutcome {
  name: string;
  outcome: "existed" | "created" | "failed";
  /** Why it failed, for the user. */
  problem?: string;
}

export interface ChatSyncReport {
  storageVersion: number;
  contactsRead: number;
  contactsUpdated: number;
  /** New display names of ghosts whose names changed. */
  renamed: string[];
  groups: ChatOutcome[];
  /** Direct chats the phone pinned. */
  pinned: ChatOutcome[];
}

/**
 * Brings an account's chats into Matrix from Signal's storage service, where the phone keeps its
 * contacts, groups and pinned chats: stores the contacts, renames ghosts whose names changed,
 * and makes sure every group (except blocked ones) and every pinned direct chat has a portal the
 * user is invited to. Returns null when the phone never wrote to the storage service.
 *
 * A linked device learns of no other chat list: message history (with its recent chats) only
 * comes with the link-time transfer archive.
 */
export async function syncChats(deps: ChatSyncDeps, login: Login): Promise<ChatSyncReport | null> {
  const snapshot = await readStorageSnapshot(deps.store, login);
  if (!snapshot) return null;
  const changed = await saveStorageContacts(await deps.store.signalStorage(login.userId), snapshot.contacts);
  await deps.requests.followStorage(login.userId, snapshot);
  const renamed = await renameGhosts(deps, login);
  const report: ChatSyncReport = {
    storageVersion: snapshot.version,
    contactsRead: snapshot.contacts.length,
    contactsUpdated: changed.length,
    renamed,
    groups: await syncGroups(deps, login, snapshot),
    pinned: await syncPinnedDirectChats(deps, login, snapshot),
  };
  deps.logger.info(
    `chat sync of ${login.userId}: ${changed.length} contacts changed, ${renamed.length} ghosts renamed, ` +
      `${report.groups.length} groups, ${report.pinned.length} pinned direct chats`,
  );
  return report;
}

/**
 * Gives every existing ghost of the user's contacts its current name (profiles older than the
 * refresh interval are fetched again); returns the new names.
 */
async function renameGhosts({ store, ghosts, names }: ChatSyncDeps, login: Login): Promise<string[]> {
  const renamed: string[] = [];
  for (const recipient of await (await store.signalStorage(login.userId)).listRecipients()) {
    const before = await ghosts.known(recipient.aci);
    if (!before) continue;
    await ghosts.ensure(recipient.aci, await names.namesOf(login, recipient.aci, { current: true }));
    const after = (await ghosts.known(recipient.aci))?.displayName;
    if (after !== undefined && after !== before.displayName) renamed.push(after);
  }
  return renamed;
}

async function syncGroups(
  { store, groupPortals, logger }: ChatSyncDeps,
  login: Login,
  snapshot: StorageServiceSnapshot,
): Promise<ChatOutcome[]> {
  const outcomes: ChatOutcome[] = [];
  for (const { masterKey } of snapshot.groups.filter((group) => !group.blocked)) {
    try {
      const existed = (await store.bridge.portalByKey(Portals.groupKey(groupIdOf(masterKey)))) !== undefined;
      // The group's portal as the group is now: members, admins, name and picture.
      const portal = await groupPortals.portalOf(login, masterKey);
      outcomes.push({ name: portal.name ?? "a group", outcome: existed ? "existed" : "created" });
    } catch (error) {
      logger.warn(`sync of a group of ${login.userId} failed`, error);
      outcomes.push({ name: "a group", outcome: "failed", problem: (error as Error).message });
    }
  }
  return outcomes;
}

async function syncPinnedDirectChats(
  deps: ChatSyncDeps,
  login: Login,
  snapshot: StorageServiceSnapshot,
): Promise<ChatOutcome[]> {
  const blocked = new Set(snapshot.contacts.filter((c) => c.blocked && c.aci).map((c) => c.aci));
  const pinnedAcis = (snapshot.account?.pinned ?? [])
    .map((pinned) => (pinned.kind === "contact" ? pinned.aci : null))
    .filter((aci): aci is string => aci !== null && !blocked.has(aci) && aci !== login.client.account.aci);
  const outcomes: ChatOutcome[] = [];
  for (const aci of pinnedAcis) {
    try {
      const { name, existed } = await openDirectChat(deps, login, aci);
      outcomes.push({ name, outcome: existed ? "existed" : "created" });
    } catch (error) {
      deps.logger.warn(`sync of a pinned chat of ${login.userId} failed`, error);
      outcomes.push({ name: aci, outcome: "failed", problem: (error as Error).message });
    }
  }
  return outcomes;
}
