import type { Bridge, Intent } from "matrix-appservice-bridge";
import { signalGroupChangeToMatrix, type SignalToMatrixContext } from "../convert/index.js";
import type { Logger } from "../logger.js";
import {
  type DecryptedGroupChange,
  type GroupMessageContext,
  type GroupUpdate,
  groupChangeNotice,
  type SignalGroup,
} from "../signal/index.js";
import type { PortalRow, Store } from "../store/index.js";
import type { ContactNameDirectory } from "./contact-names.js";
import type { Ghosts } from "./ghosts.js";
import { imageContentType } from "./image-content-type.js";
import { type GroupDirectory, groupInfoOf } from "./group-directory.js";
import { planGroupRoom, type PowerLevels, type RoomSnapshot } from "./group-room-plan.js";
import type { Login } from "./logins.js";
import type { Portals } from "./portals.js";

export interface GroupPortalSyncOptions {
  bridge: Bridge;
  store: Store;
  ghosts: Ghosts;
  portals: Portals;
  names: ContactNameDirectory;
  groups: GroupDirectory;
  /** The group's disappearing-messages timer, which lives in its group state. */
  followTimer: (portal: PortalRow, seconds: number) => Promise<void>;
  botUserId: string;
  logger: Logger;
}

/**
 * Keeps group portals showing their Signal group: name, topic, avatar, members as ghosts, admins
 * as power levels, linked members invited, and a notice for each change. A portal remembers the
 * revision it shows, so a change that reaches several linked members is applied once.
 */
export class GroupPortalSync {
  /** Syncs in progress by portal: logins handle their events in parallel, a portal one at a time. */
  private readonly running = new Map<string, Promise<void>>();
  /** Groups being brought into their portal (portalOf), by group id. */
  private readonly inFlight = new Map<string, Promise<PortalRow>>();

  constructor(private readonly options: GroupPortalSyncOptions) {}

  /**
   * The portal of a group message's group (created on first use, with `login`'s user invited),
   * showing the group at least at the revision the message names.
   */
  async portalOf(login: Login, masterKey: Uint8Array, context?: GroupMessageContext): Promise<PortalRow> {
    const { groups, portals } = this.options;
    const update = await groups.follow(login, masterKey, context);
    const info = groupInfoOf(update.group);
    const sync = (async () => {
      const ownAci = login.client.account.aci;
      const answerInvite = !update.group.members.some((member) => member.aci === ownAci);
      const portal = await portals.group(login.userId, info, { answerInvite });
      await this.serially(portal.portalKey, () => this.show(login, portal, update));
      // Stored only now: after a crash the changes are followed, and shown, again.
      await groups.remember(login, update.group);
      return (await this.options.store.bridge.portalByKey(portal.portalKey)) ?? portal;
    })();
    this.inFlight.set(info.id, sync);
    const forget = () => {
      if (this.inFlight.get(info.id) === sync) this.inFlight.delete(info.id);
    };
    sync.then(forget, forget);
    return sync;
  }

  /**
   * Resolves once what the bridge is showing of the group right now is shown and stored: a user
   * answering the invite the portal just sent them must find the group as it made them invited.
   */
  async settled(groupId: string): Promise<void> {
    await this.inFlight.get(groupId)?.catch(() => undefined);
  }

  /**
   * Brings the group's portal to the group as the groups service has it now (its changes told),
   * e.g. before changing the group; resolves to the group.
   */
  async catchUp(login: Login, portal: PortalRow): Promise<SignalGroup> {
    const update = await this.options.groups.latest(login, portal.chatId);
    await this.serially(portal.portalKey, () => this.show(login, portal, update));
    await this.options.groups.remember(login, update.group);
    return update.group;
  }

  /** Shows a change the login's account made (from Matrix) like any other: room state and a notice. */
  async showChange(login: Login, portal: PortalRow, update: GroupUpdate): Promise<void> {
    // As stored now: what led to the change may have updated the portal (its avatar).
    const current = (await this.options.store.bridge.portalByKey(portal.portalKey)) ?? portal;
    await this.serially(portal.portalKey, () => this.show(login, current, update));
    await this.options.groups.remember(login, update.group);
  }

  /**
   * Puts the room back to showing the group as the login's account last stored it (after a change
   * in Matrix that Signal did not take): name, topic, avatar, members, power levels, join rule.
   */
  async restore(login: Login, portal: PortalRow): Promise<void> {
    const group = await this.options.groups.byId(login, portal.chatId);
    await this.serially(portal.portalKey, async () => {
      const current = (await this.options.store.bridge.portalByKey(portal.portalKey)) ?? portal;
      await this.applyRoomState(current, group);
      const bot = this.options.bridge.getIntent();
      const shown = (await bot.matrixClient
        .getRoomStateEvent(current.roomId, "m.room.avatar", "")
        .catch(() => ({}))) as { url?: unknown };
      if ((shown.url ?? undefined) !== current.avatarUrl) {
        await bot.sendStateEvent(
          current.roomId,
          "m.room.avatar",
          "",
          current.avatarUrl ? { url: current.avatarUrl } : {},
        );
      }
    });
  }

  private async show(login: Login, portal: PortalRow, { group, changes }: GroupUpdate): Promise<void> {
    const tables = this.options.store.bridge;
    const shown = await tables.groupPortalState(portal.portalKey);
    const stateIsNew = !shown || group.revision > shown.revision;
    // Another member's account may have brought the room to this revision without the changes
    // (a group fetched whole): whoever has them tells them.
    const untold = changes.filter((change) => !shown || change.revision > shown.noticeRevision);
    if (!stateIsNew && untold.length === 0) return;
    await this.nameGhosts(login, group, untold);
    let kick: string[] = [];
    let avatar = { key: shown?.avatarKey, url: portal.avatarUrl };
    if (stateIsNew) {
      kick = await this.applyRoomState(portal, group);
      avatar = await this.applyAvatar(login, portal, group, shown?.avatarKey);
      const info = groupInfoOf(group);
      await tables.savePortal({
        ...portal,
        name: info.title,
        topic: info.description,
        avatarUrl: avatar.url,
      });
      await this.options.followTimer(portal, group.disappearingTimerSeconds);
    }
    for (const change of untold) await this.postNotice(portal, group, change);
    // Last, so that a linked user who was removed still sees the notice saying so.
    for (const user of kick) {
      await this.tolerant(`removing ${user} from ${portal.roomId}`, () =>
        this.options.bridge
          .getIntent()
          .kick(portal.roomId, user, "Your Signal account is no longer a member of this group"),
      );
    }
    const revision = Math.max(shown?.revision ?? group.revision, group.revision);
    await tables.setGroupPortalState(portal.portalKey, {
      revision,
      // A new portal has nothing to tell about the time before it.
      noticeRevision: Math.max(shown?.noticeRevision ?? group.revision, ...untold.map((c) => c.revision)),
      avatarKey: avatar.key,
    });
    this.options.logger.info(`group portal ${portal.roomId} shows revision ${revision}`);
  }

  /**
   * Membership steps race with other logins' syncs and with users (an invite accepted meanwhile):
   * a failed one is logged, not fatal.
   */
  private async tolerant(what: string, step: () => Promise<unknown>): Promise<void> {
    try {
      await step();
    } catch (error) {
      this.options.logger.debug(`${what}: ${(error as Error).message}`);
    }
  }

  /** Gives the ghosts of members, and of everyone a change notice names, their names first. */
  private async nameGhosts(
    login: Login,
    group: SignalGroup,
    changes: readonly DecryptedGroupChange[],
  ): Promise<void> {
    const { ghosts, names } = this.options;
    const named = new Set(group.members.map((member) => member.aci));
    for (const change of changes) {
      const notice = groupChangeNotice(change);
      if (notice.editorAci) named.add(notice.editorAci);
      for (const action of notice.actions) {
        const aci = "aci" in action ? action.aci : "serviceId" in action ? action.serviceId : undefined;
        if (aci && !aci.startsWith("PNI:")) named.add(aci);
      }
    }
    for (const aci of named) {
      if ((await ghosts.known(aci)) === undefined) await ghosts.ensure(aci, await names.namesOf(login, aci));
    }
  }

  /** Applies all but the kicks of linked users who left, which it returns. */
  private async applyRoomState(portal: PortalRow, group: SignalGroup): Promise<string[]> {
    const { bridge, ghosts } = this.options;
    const bot = bridge.getIntent();
    const roomId = portal.roomId;
    const accounts = await this.linkedAccounts();
    const linked = new Map(accounts.map((account) => [account.aci, account.userId]));
    const memberAcis = new Set(group.members.map((member) => member.aci));
    const pending = new Set(group.pendingMembers.map((invited) => invited.serviceId));
    const invited = accounts
      .filter(
        (account) => !memberAcis.has(account.aci) && (pending.has(account.aci) || pending.has(account.pni)),
      )
      .map((account) => account.userId);
    const info = groupInfoOf(group);
    const room = await roomSnapshot(bot, roomId);
    const admins = new Set(
      group.members.filter((member) => member.role === "admin").map((member) => member.aci),
    );
    const plan = planGroupRoom(room, {
      name: info.title,
      topic: info.description ?? "",
      memberGhosts: group.members.map((member) => ghosts.userIdOf(member.aci)),
      adminGhosts: new Set([...admins].map((aci) => ghosts.userIdOf(aci))),
      invitedGhosts: group.pendingMembers
        .filter((pending) => !pending.serviceId.startsWith("PNI:"))
        .map((pending) => ghosts.userIdOf(pending.serviceId)),
      linkedMembers: [...linked].filter(([aci]) => memberAcis.has(aci)).map(([, userId]) => userId),
      linkedAdmins: new Set([...linked].filter(([aci]) => admins.has(aci)).map(([, userId]) => userId)),
      knockingGhosts: group.requestingMembers.map((requesting) => ghosts.userIdOf(requesting.aci)),
      linkedInvited: invited,
      linkedOthers: [...linked]
        .filter(([aci, userId]) => !memberAcis.has(aci) && !invited.includes(userId))
        .map(([, userId]) => userId),
      rules: { ...group.access, announcementsOnly: group.announcementsOnly },
      isGhost: (userId) => ghosts.aciOf(userId) !== undefined,
    });
    for (const ghost of plan.join) {
      const membership = room.memberships.get(ghost);
      // A member kicked or banned in Matrix by someone Signal did not let remove them comes back.
      if (membership === "ban")
        await this.tolerant(`unbanning ${ghost} in ${roomId}`, () => bot.unban(roomId, ghost));
      if (membership !== "invite") {
        await this.tolerant(`inviting ${ghost} to ${roomId}`, () => bot.invite(roomId, ghost));
      }
      await bridge.getIntent(ghost).join(roomId);
    }
    for (const ghost of plan.inviteGhosts ?? []) {
      await this.tolerant(`inviting ${ghost} to ${roomId}`, () => bot.invite(roomId, ghost));
    }
    if (plan.powerLevels) await bot.sendStateEvent(roomId, "m.room.power_levels", "", plan.powerLevels);
    if (plan.joinRule !== undefined) {
      await bot.sendStateEvent(roomId, "m.room.join_rules", "", { join_rule: plan.joinRule });
    }
    if (plan.name !== undefined) await bot.sendStateEvent(roomId, "m.room.name", "", { name: plan.name });
    if (plan.topic !== undefined) await bot.sendStateEvent(roomId, "m.room.topic", "", { topic: plan.topic });
    for (const ghost of plan.knock ?? []) {
      await this.tolerant(`${ghost} knocking on ${roomId}`, async () => {
        await bridge.getIntent(ghost).ensureRegistered();
        await bridge
          .getIntent(ghost)
          .matrixClient.doRequest("POST", `/_matrix/client/v3/knock/${encodeURIComponent(roomId)}`, null, {
            reason: "Asked to join the Signal group by its link",
          });
      });
    }
    for (const ghost of plan.leave) {
      await this.tolerant(`${ghost} leaving ${roomId}`, () => bridge.getIntent(ghost).leave(roomId));
    }
    for (const user of plan.invite) {
      await this.tolerant(`inviting ${user} to ${roomId}`, () => bot.invite(roomId, user));
    }
    return plan.kick;
  }

  /**
   * Sets the room avatar when the group's changed; resolves to what the portal shows now. An
   * avatar that cannot be fetched leaves the old one (tried again with the next change): it must
   * not hold up the messages behind it.
   */
  private async applyAvatar(
    login: Login,
    portal: PortalRow,
    group: SignalGroup,
    shownKey: string | undefined,
  ): Promise<{ key: string | undefined; url: string | undefined }> {
    const key = group.avatarKey ?? undefined;
    if (key === shownKey) return { key, url: portal.avatarUrl };
    const bot = this.options.bridge.getIntent();
    let image: Uint8Array | null;
    try {
      image = key ? await this.options.groups.avatarOf(login, group) : null;
    } catch (error) {
      this.options.logger.warn(`the avatar of group ${portal.chatId} could not be fetched`, error);
      return { key: shownKey, url: portal.avatarUrl };
    }
    const url = image
      ? await bot.uploadContent(Buffer.from(image), { name: "group-avatar", type: imageContentType(image) })
      : undefined;
    await bot.sendStateEvent(portal.roomId, "m.room.avatar", "", url ? { url } : {});
    return { key, url };
  }

  /** Says what changed, as the editor's ghost while they are a member, else as the bot. */
  private async postNotice(
    portal: PortalRow,
    group: SignalGroup,
    change: DecryptedGroupChange,
  ): Promise<void> {
    const { bridge, ghosts, botUserId } = this.options;
    const notice = groupChangeNotice(change);
    const content = await signalGroupChangeToMatrix(notice, noticeContext(portal, ghosts));
    if (!content) return;
    const editor = notice.editorAci;
    const byEditor = editor !== undefined && group.members.some((member) => member.aci === editor);
    const sender = byEditor ? ghosts.userIdOf(editor) : botUserId;
    const key = `group-change:${portal.chatId}:${change.revision}`;
    await this.options.portals.send(bridge.getIntent(sender), portal, "m.room.message", { ...content }, key);
  }

  /** Linked Matrix users with the ACI and PNI (`PNI:<uuid>`) of their Signal account. */
  private async linkedAccounts(): Promise<Array<{ userId: string; aci: string; pni: string }>> {
    const { store } = this.options;
    const linked: Array<{ userId: string; aci: string; pni: string }> = [];
    for (const userId of await store.listSignalAccounts()) {
      const account = await (await store.signalStorage(userId)).getAccount();
      if (account) linked.push({ userId, aci: account.aci, pni: `PNI:${account.pni}` });
    }
    return linked;
  }

  private serially(portalKey: string, task: () => Promise<void>): Promise<void> {
    const previous = this.running.get(portalKey) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    this.running.set(portalKey, next);
    const forget = () => {
      if (this.running.get(portalKey) === next) this.running.delete(portalKey);
    };
    next.then(forget, forget);
    return next;
  }
}

/** Names for a change notice: the ghosts' display names; a notice refers to no message or media. */
function noticeContext(portal: PortalRow, ghosts: Ghosts): SignalToMatrixContext {
  return {
    roomId: portal.roomId,
    ghostUserIdOf: (aci) => ghosts.userIdOf(aci),
    displayNameOf: async (aci) => (await ghosts.known(aci))?.displayName,
    eventIdsOf: async () => [],
    reactionEventIdOf: async () => undefined,
    media: new Map(),
  };
}

async function roomSnapshot(bot: Intent, roomId: string): Promise<RoomSnapshot> {
  const events = (await bot.matrixClient.getRoomState(roomId)) as Array<{
    type: string;
    state_key: string;
    content: Record<string, unknown>;
  }>;
  const content = (type: string) =>
    events.find((event) => event.type === type && event.state_key === "")?.content;
  const memberships = new Map<string, string>();
  for (const event of events) {
    if (event.type === "m.room.member") memberships.set(event.state_key, String(event.content["membership"]));
  }
  const create = events.find((event) => event.type === "m.room.create" && event.state_key === "") as
    { sender?: string; content: Record<string, unknown> } | undefined;
  return {
    name: content("m.room.name")?.["name"] as string | undefined,
    topic: content("m.room.topic")?.["topic"] as string | undefined,
    powerLevels: content("m.room.power_levels") as PowerLevels | undefined,
    joinRule: content("m.room.join_rules")?.["join_rule"] as string | undefined,
    memberships,
    creators: creatorsOf(create),
  };
}

/** The room's creators when they hold unlimited power (room version 12 and later). */
function creatorsOf(create: { sender?: string; content: Record<string, unknown> } | undefined): Set<string> {
  const version = String(create?.content["room_version"] ?? "1");
  if (!(Number(version) >= 12 || version.includes("hydra")) || !create?.sender) return new Set();
  const additional = create.content["additional_creators"];
  return new Set([create.sender, ...(Array.isArray(additional) ? additional.map(String) : [])]);
}
