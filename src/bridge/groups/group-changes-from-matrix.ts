import { randomBytes } from "node:crypto";
import type { WeakEvent } from "matrix-appservice-bridge";
import type { Logger } from "../../logger.js";
import type { GroupAccess, GroupModification, SignalGroup } from "../../signal/index.js";
import type { PortalRow, Store } from "../../store/index.js";
import type { Ghosts } from "../ghosts.js";
import type { GroupDirectory } from "../group-directory.js";
import { ADMIN_POWER_LEVEL, GROUP_INFO_EVENTS, type PowerLevels } from "../group-room-plan.js";
import type { GroupPortalSync } from "../group-portal-sync.js";
import type { Login, LoginManager } from "../logins.js";
import type { Portals } from "../portals.js";
import type { RelayOutcome } from "../relay-outcome.js";
import { retryVerdictOf } from "../retry-policy.js";
import type { GroupEditHooks, GroupEditOutcome, GroupEditor, PlanGroupEdit } from "./group-editor.js";
import type { LeaveConfirmations } from "./leave-confirmations.js";

/** Signal's limits on a group's name and description, in characters. */
const MAX_TITLE_LENGTH = 32;
const MAX_DESCRIPTION_LENGTH = 480;

export interface GroupChangesFromMatrixOptions {
  store: Store;
  logins: LoginManager;
  groups: GroupDirectory;
  groupPortals: GroupPortalSync;
  editor: GroupEditor;
  portals: Portals;
  ghosts: Ghosts;
  /** The bytes of a Matrix file (the new room avatar). */
  download(mxc: string): Promise<Uint8Array>;
  leaves: LeaveConfirmations;
  logger: Logger;
}

/** The room state of a group portal that changes its group on Signal. */
export const GROUP_STATE_EVENTS = new Set([
  "m.room.name",
  "m.room.topic",
  "m.room.avatar",
  "m.room.power_levels",
  "m.room.join_rules",
]);

const WHAT: Readonly<Record<string, string>> = {
  "m.room.name": "The group name",
  "m.room.topic": "The group description",
  "m.room.avatar": "The group avatar",
  "m.room.power_levels": "The admins and the group's permissions",
  "m.room.join_rules": "The group link",
  "m.room.member": "The group's members",
};

const refused = (reason: string): GroupEditOutcome => ({ kind: "refused", reason });

/** How a change from Matrix counts among the relayed events. */
function relayOutcomeOf(outcome: GroupEditOutcome): RelayOutcome {
  return outcome.kind === "changed" ? "bridged" : outcome.kind === "unchanged" ? "skipped" : "failed";
}
const asString = (value: unknown): string => (typeof value === "string" ? value : "");

/**
 * What Matrix users do to a group portal, done to the Signal group as their account: name, topic
 * and avatar; members through invites, kicks and bans of ghosts; admins and access rules through
 * power levels; the group link through the join rule. What Signal's rules do not allow is put
 * back in the room with a notice saying why. A linked user leaving the room is asked, in their
 * management room, whether to leave the Signal group too.
 */
export class GroupChangesFromMatrix {
  constructor(private readonly options: GroupChangesFromMatrixOptions) {}

  async stateChanged(event: WeakEvent, portal: PortalRow): Promise<RelayOutcome> {
    if (portal.kind !== "group") return "ignored";
    const login = await this.memberLogin(event.sender, portal);
    const outcome = login
      ? await this.attempt(event, () => this.changeFromState(login, portal, event))
      : refused("Only a user whose Signal account is in the group can change it.");
    if (outcome.kind === "refused") await this.putBack(event, portal, outcome.reason, login);
    return relayOutcomeOf(outcome);
  }

  async membershipChanged(event: WeakEvent, portal: PortalRow): Promise<RelayOutcome> {
    const target = event.state_key;
    const membership = event.content["membership"];
    if (portal.kind !== "group" || !target) return "ignored";
    const aci = this.options.ghosts.aciOf(target);
    if (aci === undefined) return event.sender === target ? this.ownMembership(event, portal) : "ignored";
    const removal = membership === "ban" || (membership === "leave" && event.sender !== target);
    if (membership !== "invite" && !removal) return "ignored";
    const login = await this.memberLogin(event.sender, portal);
    const outcome = !login
      ? refused("Only a user whose Signal account is in the group can change its members.")
      : membership === "invite"
        ? await this.attempt(event, () => this.add(login, portal, aci))
        : await this.attempt(event, () => this.remove(login, portal, aci, membership === "ban"));
    if (outcome.kind === "refused") {
      await this.putBack(event, portal, outcome.reason, login);
    } else if (outcome.kind === "unchanged" && login) {
      // Already so on Signal: the room follows the group (an invited member's ghost joins).
      await this.options.groupPortals.restore(login, portal);
    }
    return relayOutcomeOf(outcome);
  }

  private async changeFromState(
    login: Login,
    portal: PortalRow,
    event: WeakEvent,
  ): Promise<GroupEditOutcome> {
    const { editor } = this.options;
    const content = event.content;
    switch (event.type) {
      case "m.room.name": {
        const title = asString(content["name"]).trim();
        if (!title) return refused("A Signal group needs a name.");
        if ([...title].length > MAX_TITLE_LENGTH) {
          return refused(`Signal group names are at most ${MAX_TITLE_LENGTH} characters long.`);
        }
        return editor.edit(login, portal, (group) =>
          group.title === title ? [] : [{ kind: "title", title }],
        );
      }
      case "m.room.topic": {
        const description = asString(content["topic"]).trim();
        if ([...description].length > MAX_DESCRIPTION_LENGTH) {
          return refused(`Signal group descriptions are at most ${MAX_DESCRIPTION_LENGTH} characters long.`);
        }
        return editor.edit(login, portal, (group) =>
          group.description === description ? [] : [{ kind: "description", description }],
        );
      }
      case "m.room.avatar":
        return this.changeAvatar(login, portal, asString(content["url"]));
      case "m.room.power_levels": {
        const linked = await this.linkedUsersByAci();
        return editor.edit(login, portal, (group) =>
          this.powerLevelChanges(group, content as PowerLevels, linked),
        );
      }
      case "m.room.join_rules":
        return editor.edit(login, portal, (group) => linkChanges(group, asString(content["join_rule"])));
      default:
        return { kind: "unchanged", group: await this.options.groups.byId(login, portal.chatId) };
    }
  }

  /** Uploads the room's new avatar to the group (once, however often the change is retried). */
  private changeAvatar(login: Login, portal: PortalRow, url: string): Promise<GroupEditOutcome> {
    const { groups, store } = this.options;
    let uploaded: string | undefined;
    const plan: PlanGroupEdit = async (group) => {
      if (!url) return group.avatarKey ? [{ kind: "avatar", avatarKey: null }] : [];
      uploaded ??= await groups.uploadAvatar(login, group, await this.options.download(url));
      return [{ kind: "avatar", avatarKey: uploaded }];
    };
    // The room shows the user's own picture already: the portal keeps it, not a copy of it.
    const hooks: GroupEditHooks = {
      onChanged: async (result) => {
        const current = (await store.bridge.portalByKey(portal.portalKey)) ?? portal;
        await store.bridge.savePortal({ ...current, avatarUrl: url || undefined });
        const shown = await store.bridge.groupPortalState(portal.portalKey);
        if (shown) {
          await store.bridge.setGroupPortalState(portal.portalKey, {
            ...shown,
            avatarKey: result.group.avatarKey ?? undefined,
          });
        }
      },
    };
    return this.options.editor.edit(login, portal, plan, hooks);
  }

  /**
   * Admins from the users' levels (a member's ghost, or their linked Matrix user, at 50 or more
   * is an admin), and the access rules from the levels of the group info events, of invites and
   * of messages. Only what crosses the admin line counts.
   */
  private powerLevelChanges(
    group: SignalGroup,
    levels: PowerLevels,
    linked: ReadonlyMap<string, string>,
  ): GroupModification[] {
    const { ghosts } = this.options;
    const userLevel = (userId: string) => levels.users?.[userId] ?? levels.users_default ?? 0;
    const modifications: GroupModification[] = [];
    for (const member of group.members) {
      const isAdmin = member.role === "admin";
      const shownAs = [ghosts.userIdOf(member.aci), linked.get(member.aci)].filter((u): u is string => !!u);
      if (shownAs.some((userId) => userLevel(userId) >= ADMIN_POWER_LEVEL !== isAdmin)) {
        modifications.push({ kind: "role", aci: member.aci, role: isAdmin ? "member" : "admin" });
      }
    }
    const stateDefault =
      typeof levels["state_default"] === "number" ? levels["state_default"] : ADMIN_POWER_LEVEL;
    const infoLevels = GROUP_INFO_EVENTS.map((type) => levels.events?.[type] ?? stateDefault);
    const attributesForAdmins = group.access.attributes === "admins";
    if (infoLevels.some((level) => level >= ADMIN_POWER_LEVEL !== attributesForAdmins)) {
      modifications.push({ kind: "access-attributes", access: attributesForAdmins ? "members" : "admins" });
    }
    const membersForAdmins = group.access.members === "admins";
    if ((levels.invite ?? 0) >= ADMIN_POWER_LEVEL !== membersForAdmins) {
      modifications.push({ kind: "access-members", access: membersForAdmins ? "members" : "admins" });
    }
    const adminsOnly = (levels.events_default ?? 0) >= ADMIN_POWER_LEVEL;
    if (adminsOnly !== group.announcementsOnly)
      modifications.push({ kind: "announcements-only", enabled: adminsOnly });
    return modifications;
  }

  /**
   * Adds a contact whose ghost was invited: someone who asked to join is let in; others become
   * full members with their profile key, or are invited without it.
   */
  private add(login: Login, portal: PortalRow, aci: string): Promise<GroupEditOutcome> {
    return this.options.editor.edit(login, portal, async (group) => {
      const isIn = group.members.some((member) => member.aci === aci);
      if (isIn || group.pendingMembers.some((pending) => pending.serviceId === aci)) return [];
      if (group.requestingMembers.some((requesting) => requesting.aci === aci)) {
        return [{ kind: "approve-request", aci, role: "member" }];
      }
      const presentation = await this.options.groups.memberPresentation(login, group, aci);
      return presentation
        ? [{ kind: "add-member", aci, role: "member", presentation }]
        : [{ kind: "invite", serviceId: aci, role: "member" }];
    });
  }

  /** Removes (or un-invites) a contact whose ghost was kicked or banned; a ban bans them on Signal too. */
  private remove(login: Login, portal: PortalRow, aci: string, ban: boolean): Promise<GroupEditOutcome> {
    return this.options.editor.edit(login, portal, (group) => {
      const modifications: GroupModification[] = [];
      if (group.members.some((member) => member.aci === aci))
        modifications.push({ kind: "remove-member", aci });
      else if (group.pendingMembers.some((pending) => pending.serviceId === aci)) {
        modifications.push({ kind: "revoke-invite", serviceId: aci });
      } else if (group.requestingMembers.some((requesting) => requesting.aci === aci)) {
        modifications.push({ kind: "deny-request", aci });
      }
      if (ban && !group.bannedMembers.some((banned) => banned.serviceId === aci)) {
        modifications.push({ kind: "ban", serviceId: aci });
      }
      return modifications;
    });
  }

  /**
   * A linked user joined or left the room. Invited to the group, joining accepts the invitation
   * and leaving declines it; a member leaving is asked whether to leave the group too.
   */
  private async ownMembership(event: WeakEvent, portal: PortalRow): Promise<RelayOutcome> {
    const userId = event.sender;
    const membership = event.content["membership"];
    const login = this.options.logins.loginOf(userId);
    if (!login || (membership !== "join" && membership !== "leave")) return "ignored";
    const { aci, pni } = login.client.account;
    await this.options.groupPortals.settled(portal.chatId);
    const group = await this.options.groups.byId(login, portal.chatId).catch(() => undefined);
    const invitation = group?.pendingMembers.find(
      (pending) => pending.serviceId === aci || pending.serviceId === `PNI:${pni}`,
    );
    if (!invitation) {
      if (membership === "leave" && (await this.options.groups.isMember(login, portal.chatId))) {
        await this.options.leaves.ask(userId, portal);
      }
      return "ignored";
    }
    const invitedAs = invitation.serviceId === aci ? "aci" : "pni";
    const outcome = await this.options.editor.edit(login, portal, async (current) => {
      if (!current.pendingMembers.some((pending) => pending.serviceId === invitation.serviceId)) return [];
      if (membership === "leave") return [{ kind: "revoke-invite", serviceId: invitation.serviceId }];
      const presentation = await this.options.groups.ownPresentation(login, current);
      return [{ kind: "accept-invite", presentation, invitedAs }];
    });
    if (outcome.kind === "refused") {
      await this.options.portals.notice(
        portal,
        `The invitation could not be answered on Signal: ${outcome.reason}`,
      );
    }
    this.options.logger.info(
      `${userId} ${membership === "join" ? "accepted" : "declined"} the invitation to group ${portal.chatId}: ${outcome.kind}`,
    );
    return relayOutcomeOf(outcome);
  }

  /**
   * Runs a change. A failure to reach Signal is thrown, for the room's queue to try again; any
   * other (a refusal the access rules did not foresee, a bug) ends as a refusal, so that the room
   * is put back and the user told.
   */
  private async attempt(
    event: WeakEvent,
    change: () => Promise<GroupEditOutcome>,
  ): Promise<GroupEditOutcome> {
    try {
      return await change();
    } catch (error) {
      if (retryVerdictOf(error).transient) throw error;
      this.options.logger.error(
        `${event.type} ${event.event_id} in ${event.room_id} failed on Signal`,
        error,
      );
      return refused(`Signal did not take it (${(error as Error).message}).`);
    }
  }

  /** The room shows the group again, and a notice says why the change did not happen. */
  private async putBack(
    event: WeakEvent,
    portal: PortalRow,
    reason: string,
    login: Login | undefined,
  ): Promise<void> {
    const { logger, portals, groupPortals } = this.options;
    logger.info(`${event.type} ${event.event_id} in ${portal.roomId} not done on Signal: ${reason}`);
    const restorer = login ?? (await this.anyMemberLogin(portal));
    if (restorer) await groupPortals.restore(restorer, portal);
    else logger.warn(`no linked member's account can put ${portal.roomId} back`);
    await portals.notice(portal, `${WHAT[event.type] ?? "The group"} was not changed on Signal: ${reason}`);
  }

  /** The login of `userId` when their account is a member of the portal's group. */
  private async memberLogin(userId: string, portal: PortalRow): Promise<Login | undefined> {
    const login = this.options.logins.loginOf(userId);
    return login && (await this.options.groups.isMember(login, portal.chatId)) ? login : undefined;
  }

  private async anyMemberLogin(portal: PortalRow): Promise<Login | undefined> {
    for (const userId of await this.options.store.listSignalAccounts()) {
      const login = await this.memberLogin(userId, portal);
      if (login) return login;
    }
    return undefined;
  }

  /** Linked Matrix users by the ACI of their Signal account (running logins only). */
  private async linkedUsersByAci(): Promise<Map<string, string>> {
    const linked = new Map<string, string>();
    for (const userId of await this.options.store.listSignalAccounts()) {
      const login = this.options.logins.loginOf(userId);
      if (login) linked.set(login.client.account.aci, userId);
    }
    return linked;
  }
}

/** The group link a join rule stands for: invite only is none, knocking is one with approval. */
function linkAccessOf(joinRule: string): GroupAccess {
  if (joinRule === "public") return "anyone";
  if (joinRule === "knock" || joinRule === "knock_restricted") return "admins";
  return "nobody";
}

function linkChanges(group: SignalGroup, joinRule: string): GroupModification[] {
  const wanted = linkAccessOf(joinRule);
  const current = group.access.addFromInviteLink === "unknown" ? "nobody" : group.access.addFromInviteLink;
  if (wanted === current) return [];
  const modifications: GroupModification[] = [{ kind: "access-invite-link", access: wanted }];
  // A link needs a secret; the groups service refuses one without.
  if (wanted !== "nobody" && !group.inviteLinkPassword) {
    modifications.push({ kind: "invite-link-password", password: new Uint8Array(randomBytes(16)) });
  }
  return modifications;
}
