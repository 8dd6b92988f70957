// Who may change what in a Signal group, as the groups service decides it: checked before a
// change from Matrix is sent, so that a refusal can be explained (and the room put back) at once.
import type { GroupAccess, GroupModification, SignalGroup } from "../../signal/index.js";

/** What a modification needs of the editor, in the group's terms. */
type Need = { access: GroupAccess; what: string } | { adminOnly: string } | "anyone";

function needOf(group: SignalGroup, ownAci: string, modification: GroupModification): Need {
  switch (modification.kind) {
    case "title":
    case "description":
    case "timer":
      return {
        access: group.access.attributes,
        what: "change the group's name, description, avatar and timer",
      };
    case "remove-member":
      // Leaving is always allowed; removing someone else takes an admin.
      return modification.aci === ownAci ? "anyone" : { adminOnly: "remove members" };
    case "role":
      return { adminOnly: "make or unmake admins" };
  }
}

/** Whether the access rule lets a member of `role` do it. */
function allows(access: GroupAccess, isAdmin: boolean): boolean {
  switch (access) {
    case "anyone":
    case "members":
      return true;
    case "admins":
      return isAdmin;
    case "nobody":
    case "unknown":
      return false;
  }
}

/**
 * Why `ownAci` may not make these modifications to `group` (for the user to read), or undefined
 * when Signal's access rules allow them.
 */
export function accessRefusal(
  group: SignalGroup,
  ownAci: string,
  modifications: readonly GroupModification[],
): string | undefined {
  if (group.terminated) return "The group was ended; nobody can change it any more.";
  const member = group.members.find((entry) => entry.aci === ownAci);
  if (!member) return "Your Signal account is not a member of this group.";
  const isAdmin = member.role === "admin";
  for (const modification of modifications) {
    const need = needOf(group, ownAci, modification);
    if (need === "anyone") continue;
    if ("adminOnly" in need) {
      if (!isAdmin) return `Only admins of the Signal group may ${need.adminOnly}.`;
      continue;
    }
    if (!allows(need.access, isAdmin)) {
      return need.access === "admins"
        ? `Only admins of the Signal group may ${need.what}.`
        : `Nobody may ${need.what} in this Signal group.`;
    }
  }
  return undefined;
}
