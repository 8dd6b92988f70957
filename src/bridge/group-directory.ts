import type { Logger } from "../logger.js";
import {
  type GroupInviteLink,
  type GroupJoinInfo,
  type GroupJoinOutcome,
  type GroupMessageContext,
  type GroupModification,
  type GroupModificationResult,
  GroupsClient,
  type GroupUpdate,
  groupIdOf,
  loadGroup,
  newGroupMasterKey,
  saveGroup,
  saveMemberProfileKeys,
  type SignalClient,
  type SignalGroup,
} from "../signal/index.js";
import type { Store } from "../store/index.js";
import type { Login } from "./logins.js";
import { retryVerdictOf } from "./retry-policy.js";
import type { GroupInfo } from "./portals.js";

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** A group to create from Matrix. */
export interface NewGroupSpec {
  title: string;
  description?: string | undefined;
  /** The avatar image. */
  avatar?: Uint8Array | undefined;
  /** Who else is in it, by ACI. */
  memberAcis: readonly string[];
}

/** What a group portal shows of a group. */
export function groupInfoOf(group: SignalGroup): GroupInfo {
  return {
    id: base64(group.id),
    title: group.title || "Signal group",
    description: group.description || undefined,
  };
}

/**
 * The Signal groups each login has seen, as last stored for its account (master key included),
 * brought up to date from the groups service when a message names a newer revision. Group
 * messages name the master key; portals and sends use the id.
 */
export class GroupDirectory {
  // Per Signal client: a new login of the same user has a new chat connection and account.
  /** The stored groups of each client's account, cached by group id. */
  private readonly groups = new WeakMap<SignalClient, Map<string, SignalGroup>>();
  private readonly clients = new WeakMap<SignalClient, GroupsClient>();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  /**
   * The group at the revision a message names (or as known, when it names none; fetched the
   * first time), with the changes since the stored state. Nothing is stored: call `remember`
   * once the changes are shown, so that a crash in between shows them again.
   */
  async follow(login: Login, masterKey: Uint8Array, context?: GroupMessageContext): Promise<GroupUpdate> {
    const known = await this.known(login, groupIdOf(masterKey));
    if (known && (context === undefined || known.revision >= context.revision)) {
      return { group: known, changes: [] };
    }
    const client = this.clientOf(login);
    const update = !known
      ? { group: await client.fetchGroup(masterKey), changes: [] }
      : context
        ? await client.applyMessageContext(known, context)
        : await client.update(known);
    this.logger.debug(
      `group ${base64(update.group.id)} of ${login.userId} at revision ${update.group.revision}`,
    );
    // Before the members are shown: their names come from profiles, which need the keys.
    await saveMemberProfileKeys(await this.store.signalStorage(login.userId), update.group);
    return update;
  }

  /**
   * The group as the groups service has it now, with the changes since the stored state (nothing
   * stored, as with `follow`). Throws when the login has never seen the group.
   */
  async latest(login: Login, groupId: string): Promise<GroupUpdate> {
    const known = await this.byId(login, groupId);
    const client = this.clientOf(login);
    // The change log is for members; someone invited sees the group as it is.
    const isMember = known.members.some((member) => member.aci === login.client.account.aci);
    const update = isMember
      ? await client.update(known)
      : { group: await client.fetchGroup(known.masterKey), changes: [] };
    await saveMemberProfileKeys(await this.store.signalStorage(login.userId), update.group);
    return update;
  }

  /**
   * Makes a change to the group as the login's account (see GroupsClient.modify): the group must
   * be at the server's current revision, or it fails with GroupConflictError.
   */
  async modify(
    login: Login,
    group: SignalGroup,
    modifications: readonly GroupModification[],
  ): Promise<GroupModificationResult> {
    const result = await this.clientOf(login).modify(group, modifications);
    this.logger.info(
      `group ${base64(group.id)} changed by ${login.userId}: revision ${result.group.revision}`,
    );
    return result;
  }

  /**
   * Creates a Signal group with the login's account as its admin: contacts whose profile key the
   * account has become members, the others are invited. The group is stored as known.
   */
  async create(login: Login, spec: NewGroupSpec): Promise<SignalGroup> {
    const client = this.clientOf(login);
    const storage = await this.store.signalStorage(login.userId);
    const own = await storage.getAccount();
    if (!own?.profileKey)
      throw new Error("your Signal account has no profile key yet; try again in a moment");
    const masterKey = newGroupMasterKey();
    const members: Array<{ role: "admin" | "member"; presentation: Uint8Array }> = [
      {
        role: "admin",
        presentation: await client.memberPresentation({ masterKey }, own.aci, own.profileKey),
      },
    ];
    const invited: string[] = [];
    for (const aci of new Set(spec.memberAcis)) {
      if (aci === own.aci) continue;
      const presentation = await this.memberPresentation(login, { masterKey }, aci);
      if (presentation) members.push({ role: "member", presentation });
      else invited.push(aci);
    }
    const avatarKey = spec.avatar ? await client.uploadAvatar({ masterKey }, spec.avatar) : undefined;
    const group = await client.createGroup({
      masterKey,
      title: spec.title,
      description: spec.description,
      avatarKey,
      members,
      invited,
      now: Date.now(),
    });
    this.logger.info(`group ${base64(group.id)} created by ${login.userId}`);
    await saveMemberProfileKeys(storage, group);
    await this.remember(login, group);
    return group;
  }

  /** What a group link shows: the group's title and whether joining needs an admin's approval. */
  async joinInfo(login: Login, link: GroupInviteLink): Promise<GroupJoinInfo> {
    return this.clientOf(login).joinInfo(link.masterKey, link.password);
  }

  /**
   * Joins a group by its link as the login's account (or asks to, as the link says); a group
   * joined is stored as known.
   */
  async joinByLink(login: Login, link: GroupInviteLink, info: GroupJoinInfo): Promise<GroupJoinOutcome> {
    const client = this.clientOf(login);
    const own = await (await this.store.signalStorage(login.userId)).getAccount();
    if (!own?.profileKey)
      throw new Error("your Signal account has no profile key yet; try again in a moment");
    const presentation = await client.memberPresentation(
      { masterKey: link.masterKey },
      own.aci,
      own.profileKey,
    );
    const outcome = await client.joinByLink(link.masterKey, link.password, info, presentation);
    if (outcome.kind === "joined") {
      await saveMemberProfileKeys(await this.store.signalStorage(login.userId), outcome.group);
      await this.remember(login, outcome.group);
    }
    return outcome;
  }

  /** What accepting the login's invitation to the group takes: its profile key's proof. */
  async ownPresentation(login: Login, group: Pick<SignalGroup, "masterKey">): Promise<Uint8Array> {
    const own = await (await this.store.signalStorage(login.userId)).getAccount();
    if (!own?.profileKey)
      throw new Error("your Signal account has no profile key yet; try again in a moment");
    return this.clientOf(login).memberPresentation(group, own.aci, own.profileKey);
  }

  /** Encrypts and uploads an avatar image for the group; resolves to its key for an avatar change. */
  async uploadAvatar(
    login: Login,
    group: Pick<SignalGroup, "masterKey">,
    image: Uint8Array,
  ): Promise<string> {
    return this.clientOf(login).uploadAvatar(group, image);
  }

  /**
   * What adding `aci` to the group as a full member takes: a proof of their profile key, if the
   * login's account has it; undefined otherwise (they can only be invited then).
   */
  async memberPresentation(
    login: Login,
    group: Pick<SignalGroup, "masterKey">,
    aci: string,
  ): Promise<Uint8Array | undefined> {
    const profileKey = (await (await this.store.signalStorage(login.userId)).getRecipient(aci))?.profileKey;
    if (!profileKey) return undefined;
    try {
      return await this.clientOf(login).memberPresentation(group, aci, profileKey);
    } catch (error) {
      if (retryVerdictOf(error).transient) throw error;
      // An outdated profile key: the server issues no credential for it. An invitation still works.
      this.logger.debug(`no profile key credential for ${aci}: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Stores the group as the login's latest known state. */
  async remember(login: Login, group: SignalGroup): Promise<void> {
    const known = await this.known(login, base64(group.id));
    if (known && known.revision > group.revision) return;
    await saveGroup(await this.store.signalStorage(login.userId), group);
    this.cacheOf(login).set(base64(group.id), group);
  }

  /** What a group portal shows: the group as stored, else as fetched (and not stored, see `follow`). */
  async infoOf(login: Login, masterKey: Uint8Array): Promise<GroupInfo> {
    return groupInfoOf((await this.follow(login, masterKey)).group);
  }

  /** A group this login has seen, by its base64 id. */
  async byId(login: Login, groupId: string): Promise<SignalGroup> {
    const group = await this.known(login, groupId);
    if (!group) {
      throw new Error(
        "the bridge does not know this group's key for your account yet; it will after the next message in it",
      );
    }
    return group;
  }

  /** Whether the login's account is a member of the group, as far as its stored state says. */
  async isMember(login: Login, groupId: string): Promise<boolean> {
    const group = await this.known(login, groupId);
    const ownAci = login.client.account.aci;
    return group?.members.some((member) => member.aci === ownAci) ?? false;
  }

  /** The group's avatar image, downloaded and decrypted; null when it has none. */
  async avatarOf(login: Login, group: SignalGroup): Promise<Uint8Array | null> {
    return this.clientOf(login).fetchAvatar(group);
  }

  private async known(login: Login, groupId: string): Promise<SignalGroup | undefined> {
    const cache = this.cacheOf(login);
    const cached = cache.get(groupId);
    if (cached) return cached;
    const stored = await loadGroup(await this.store.signalStorage(login.userId), groupId);
    if (stored) cache.set(groupId, stored);
    return stored ?? undefined;
  }

  private cacheOf(login: Login): Map<string, SignalGroup> {
    let cache = this.groups.get(login.client);
    if (!cache) {
      cache = new Map();
      this.groups.set(login.client, cache);
    }
    return cache;
  }

  private clientOf(login: Login): GroupsClient {
    let client = this.clients.get(login.client);
    if (!client) {
      const { aci, pni } = login.client.account;
      client = new GroupsClient({ environment: login.client.environment, chat: login.client.chat, aci, pni });
      this.clients.set(login.client, client);
    }
    return client;
  }
}
