import type { PermissionLevel } from "../config/index.js";

const order: Record<PermissionLevel, number> = { relay: 1, user: 2, admin: 3 };

/**
 * The permission level of a Matrix user: an entry for the exact user ID wins over one for
 * their server, which wins over `*`. Undefined means the user may not use the bridge at all.
 */
export function permissionLevelOf(
  userId: string,
  permissions: Record<string, PermissionLevel>,
): PermissionLevel | undefined {
  const server = userId.slice(userId.indexOf(":") + 1);
  return permissions[userId] ?? permissions[server] ?? permissions["*"];
}

export function hasPermission(level: PermissionLevel | undefined, needed: PermissionLevel): boolean {
  return level !== undefined && order[level] >= order[needed];
}
