// What has to change in a group portal so it shows the group as Signal has it. Pure: the room's
// current state and the group's come in, the steps to take go out; compared against the room as
// it is (not against what the bridge last did), so applying a plan again after a crash is harmless.

import type { GroupAccess } from "../signal/index.js";

/** Ghosts of Signal admins get this power level; 50 or more in Matrix makes a member an admin. */
export const ADMIN_POWER_LEVEL = 50;

/**
 * Linked users whose account is an admin get one more: Signal lets an admin remove or demote
 * another admin, and Matrix lets a user kick or lower only those below them.
 */
export const LINKED_ADMIN_POWER_LEVEL = ADMIN_POWER_LEVEL + 1;

/** Room state the group's "edit group info" rule governs: name, description, avatar and timer. */
export const GROUP_INFO_EVENTS = [
  "m.room.name",
  "m.room.topic",
  "m.room.avatar",
  "com.beeper.disappearing_timer",
] as const;

/** `m.room.power_levels` content, as far as the plan reads it. */
export interface PowerLevels {
  users?: Record<string, number>;
  users_default?: number;
  events?: Record<string, number>;
  events_default?: number;
  invite?: number;
  [key: string]: unknown;
}

/** The parts of a room's state the plan compares. */
export interface RoomSnapshot {
  name: string | undefined;
  topic: string | undefined;
  powerLevels: PowerLevels | undefined;
  /** `m.room.join_rules` join_rule; undefined when unknown. */
  joinRule?: string | undefined;
  /** Membership (`join`, `invite`, `leave`, `ban` ...) by user id. */
  memberships: ReadonlyMap<string, string>;
  /**
   * Users with unlimited power as the room's creators (room version 12): they must not be listed
   * in the power levels.
   */
  creators?: ReadonlySet<string>;
}

/** The group's access rules, as they show in the room. */
export interface GroupRules {
  /** Who may change name, description, avatar and timer. */
  attributes: GroupAccess;
  /** Who may add members. */
  members: GroupAccess;
  /** Who may join by the group link: "nobody" (no link), "admins" (with approval), "anyone". */
  addFromInviteLink: GroupAccess;
  /** Only admins may send messages. */
  announcementsOnly: boolean;
}

/** The group as the room should show it, in Matrix user ids. */
export interface GroupRoomTarget {
  name: string;
  topic: string;
  /** Ghosts of the group's members. */
  memberGhosts: readonly string[];
  /** Ghosts of the group's admins (a subset of `memberGhosts`). */
  adminGhosts: ReadonlySet<string>;
  /** Ghosts of those invited to the group (with an ACI) who have not accepted yet. */
  invitedGhosts?: readonly string[];
  /** Ghosts of those who asked to join by the group link, waiting for an admin. */
  knockingGhosts?: readonly string[];
  /** Matrix users whose linked Signal account is a member. */
  linkedMembers: readonly string[];
  /** Linked members whose account is an admin (a subset of `linkedMembers`). */
  linkedAdmins?: ReadonlySet<string>;
  /** Matrix users whose linked Signal account is invited to the group (to accept or decline). */
  linkedInvited?: readonly string[];
  /** Matrix users whose linked Signal account is not a member (nor invited). */
  linkedOthers: readonly string[];
  /** The group's access rules; when absent, the room's rules are left as they are. */
  rules?: GroupRules;
  isGhost(userId: string): boolean;
}

export interface GroupRoomPlan {
  /** New `m.room.name` / `m.room.topic` / `m.room.power_levels` contents; absent when unchanged. */
  name?: string;
  topic?: string;
  powerLevels?: PowerLevels;
  /** New `m.room.join_rules` join_rule; absent when unchanged. */
  joinRule?: string;
  /** Ghosts to bring into the room (unbanned and invited where needed, then joined). */
  join: string[];
  /** Ghosts of those invited to the group, to invite to the room. */
  inviteGhosts?: string[];
  /** Ghosts of those asking to join, to knock on the room. */
  knock?: string[];
  /** Ghosts of people who are no longer members. */
  leave: string[];
  /** Linked members not in the room and not invited. */
  invite: string[];
  /** Linked users whose account left the group, still in the room or invited. */
  kick: string[];
}

const present = (membership: string | undefined) => membership === "join" || membership === "invite";

export function planGroupRoom(room: RoomSnapshot, target: GroupRoomTarget): GroupRoomPlan {
  const plan: GroupRoomPlan = { join: [], leave: [], invite: [], kick: [] };
  if (room.name !== target.name) plan.name = target.name;
  if ((room.topic ?? "") !== target.topic) plan.topic = target.topic;

  const memberGhosts = new Set(target.memberGhosts);
  const invitedGhosts = new Set((target.invitedGhosts ?? []).filter((ghost) => !memberGhosts.has(ghost)));
  plan.join = target.memberGhosts.filter((ghost) => room.memberships.get(ghost) !== "join");
  const inviteGhosts = [...invitedGhosts].filter((ghost) => !present(room.memberships.get(ghost)));
  if (inviteGhosts.length > 0) plan.inviteGhosts = inviteGhosts;
  const knockingGhosts = new Set(
    (target.knockingGhosts ?? []).filter((ghost) => !memberGhosts.has(ghost) && !invitedGhosts.has(ghost)),
  );
  const knock = [...knockingGhosts].filter(
    (ghost) => !present(room.memberships.get(ghost)) && room.memberships.get(ghost) !== "knock",
  );
  if (knock.length > 0) plan.knock = knock;
  for (const [userId, membership] of room.memberships) {
    if (!target.isGhost(userId) || memberGhosts.has(userId)) continue;
    if (!present(membership) && membership !== "knock") continue;
    // An invited person's ghost stays invited, one asking to join keeps knocking; one that joined
    // meanwhile waits as a member would.
    if (invitedGhosts.has(userId) && membership === "invite") continue;
    if (knockingGhosts.has(userId) && membership === "knock") continue;
    plan.leave.push(userId);
  }
  plan.invite = [...target.linkedMembers, ...(target.linkedInvited ?? [])].filter(
    (user) => !present(room.memberships.get(user)),
  );
  plan.kick = target.linkedOthers.filter((user) => present(room.memberships.get(user)));

  const powerLevels = planPowerLevels(room.powerLevels, target, room.creators ?? new Set());
  if (powerLevels) plan.powerLevels = powerLevels;
  if (target.rules) {
    const joinRule = joinRuleOf(target.rules.addFromInviteLink);
    if (room.joinRule !== undefined && room.joinRule !== joinRule) plan.joinRule = joinRule;
  }
  return plan;
}

/** The room's join rule for the group link: none means invite only, a link means knocking. */
export function joinRuleOf(addFromInviteLink: GroupAccess): string {
  return addFromInviteLink === "anyone" || addFromInviteLink === "admins" ? "knock" : "invite";
}

/** The level a Matrix user needs for what `access` allows. */
function levelFor(access: GroupAccess): number {
  return access === "admins" ? ADMIN_POWER_LEVEL : 0;
}

/**
 * Admin ghosts at 50 and linked admins at 51, other ghosts and linked members at the default; other
 * users untouched. That includes the bot: it created the room, so it has 100, or in room version
 * 12 unlimited power as a creator, who must then not be listed (nor a user who created a room that
 * became a portal). The group's access rules become
 * the levels for the group info events, invites and messages; admins (50) may change levels, so
 * that they can make others admins.
 */
function planPowerLevels(
  current: PowerLevels | undefined,
  target: GroupRoomTarget,
  creators: ReadonlySet<string>,
): PowerLevels | undefined {
  const before = current?.users ?? {};
  const linked = new Set([...target.linkedMembers, ...target.linkedOthers]);
  const linkedAdmins = target.linkedAdmins ?? new Set<string>();
  const managed = (userId: string) =>
    target.isGhost(userId) || (target.linkedAdmins !== undefined && linked.has(userId));
  const users: Record<string, number> = {};
  for (const [userId, level] of Object.entries(before)) {
    if (!managed(userId)) users[userId] = level;
  }
  for (const admin of target.adminGhosts) users[admin] = ADMIN_POWER_LEVEL;
  for (const admin of linkedAdmins) if (!creators.has(admin)) users[admin] = LINKED_ADMIN_POWER_LEVEL;
  const next: PowerLevels = { ...current, users };
  const rules = target.rules;
  if (rules) {
    const infoLevel = levelFor(rules.attributes);
    next.events = {
      ...current?.events,
      ...Object.fromEntries(GROUP_INFO_EVENTS.map((type) => [type, infoLevel])),
      "m.room.power_levels": ADMIN_POWER_LEVEL,
    };
    next.invite = levelFor(rules.members);
    next.events_default = rules.announcementsOnly ? ADMIN_POWER_LEVEL : 0;
  }
  return sameLevels(current, next) ? undefined : next;
}

function sameLevels(current: PowerLevels | undefined, next: PowerLevels): boolean {
  const sameMap = (a: Record<string, number> = {}, b: Record<string, number> = {}) =>
    Object.keys(a).length === Object.keys(b).length &&
    Object.entries(a).every(([key, value]) => b[key] === value);
  return (
    sameMap(current?.users, next.users) &&
    (next.events === undefined || sameMap(current?.events, next.events)) &&
    (current?.invite ?? 0) === (next.invite ?? 0) &&
    (current?.events_default ?? 0) === (next.events_default ?? 0)
  );
}
