// What has to change in a group portal so it shows the group as Signal has it. Pure: the room's
// current state and the group's come in, the steps to take go out; compared against the room as
// it is (not against what the bridge last did), so applying a plan again after a crash is harmless.

/** Ghosts of Signal admins get this power level. */
export const ADMIN_POWER_LEVEL = 50;

/** `m.room.power_levels` content, as far as the plan reads it. */
export interface PowerLevels {
  users?: Record<string, number>;
  users_default?: number;
  [key: string]: unknown;
}

/** The parts of a room's state the plan compares. */
export interface RoomSnapshot {
  name: string | undefined;
  topic: string | undefined;
  powerLevels: PowerLevels | undefined;
  /** Membership (`join`, `invite`, `leave`, `ban` ...) by user id. */
  memberships: ReadonlyMap<string, string>;
}

/** The group as the room should show it, in Matrix user ids. */
export interface GroupRoomTarget {
  name: string;
  topic: string;
  /** Ghosts of the group's members. */
  memberGhosts: readonly string[];
  /** Ghosts of the group's admins (a subset of `memberGhosts`). */
  adminGhosts: ReadonlySet<string>;
  /** Matrix users whose linked Signal account is a member. */
  linkedMembers: readonly string[];
  /** Matrix users whose linked Signal account is not a member. */
  linkedOthers: readonly string[];
  isGhost(userId: string): boolean;
}

export interface GroupRoomPlan {
  /** New `m.room.name` / `m.room.topic` / `m.room.power_levels` contents; absent when unchanged. */
  name?: string;
  topic?: string;
  powerLevels?: PowerLevels;
  /** Ghosts to bring into the room (invite where needed, then join). */
  join: string[];
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
  plan.join = target.memberGhosts.filter((ghost) => room.memberships.get(ghost) !== "join");
  for (const [userId, membership] of room.memberships) {
    if (target.isGhost(userId) && present(membership) && !memberGhosts.has(userId)) plan.leave.push(userId);
  }
  plan.invite = target.linkedMembers.filter((user) => !present(room.memberships.get(user)));
  plan.kick = target.linkedOthers.filter((user) => present(room.memberships.get(user)));

  const powerLevels = planPowerLevels(room.powerLevels, target);
  if (powerLevels) plan.powerLevels = powerLevels;
  return plan;
}

/**
 * Admin ghosts at 50, other ghosts at the default; other users untouched. That includes the bot:
 * it created the room, so it has 100, or in room version 12 unlimited power as a creator, who
 * must then not be listed.
 */
function planPowerLevels(current: PowerLevels | undefined, target: GroupRoomTarget): PowerLevels | undefined {
  const before = current?.users ?? {};
  const users: Record<string, number> = {};
  for (const [userId, level] of Object.entries(before)) {
    if (!target.isGhost(userId) || target.adminGhosts.has(userId)) users[userId] = level;
  }
  for (const admin of target.adminGhosts) users[admin] = ADMIN_POWER_LEVEL;
  const same =
    Object.keys(users).length === Object.keys(before).length &&
    Object.entries(users).every(([userId, level]) => before[userId] === level);
  return same ? undefined : { ...current, users };
}
