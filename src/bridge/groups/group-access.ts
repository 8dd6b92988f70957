// Who may change what in a Signal group, as the groups service decides it: checked before a
// change from Matrix is sent, so that a refusal can be explained (and the room put back) at once.
import type { GroupAccess, GroupModification, SignalGroup } from "../../signal/index.js";

/** Our account in the group's terms: its ACI, and its PNI as `PNI:<uuid>` (invitations may name it). */
export interface OwnAccount {
  aci: string;
  pni?: string | undefined;
}

/** What a modification needs of the editor. */
type Need =
  /** Something about ourselves (leaving, declining our invitation): always allowed. */
  | "self"
  /** A member, as far as the access rule allows. */
  | { access: GroupAccess; what: string }
  /** An admin. */
  | { adminOnly: string };

const ATTRIBUTES = "change the group's name, description, avatar and timer";

function needOf(group: SignalGroup, own: OwnAccount, modification: GroupModification): Need {
  const isOwn = (serviceId: string) => serviceId === own.aci || serviceId === own.pni;
  switch (modification.kind) {
    case "title":
    case "description":
    case "avatar":
    case "timer":
      return { access: group.access.attributes, what: ATTRIBUTES };
    case "add-member":
    case "invite":
      return { access: group.access.members, what: "add members" };
    case "remove-member":
      return isOwn(modification.aci) ? "self" : { adminOnly: "remove members" };
    case "revoke-invite": {
      if (isOwn(modification.serviceId)) return "self";
      const invitation = group.pendingMembers.find((pending) => pending.serviceId === modification.serviceId);
      // Whoever invited someone may take it back; anyone else's invitation takes an admin.
      return invitation?.addedByAci === own.aci
        ? { access: "members", what: "revoke invitations" }
        : { adminOnly: "revoke other members' invitations" };
    }
    case "ban":
      return { adminOnly: "ban people" };
    case "role":
      return { adminOnly: "make or unmake admins" };
    case "access-attributes":
    case "access-members":
    case "access-invite-link":
    case "invite-link-password":
      return { adminOnly: "change who may edit, add members or join by link" };
    case "announcements-only":
      return { adminOnly: "choose who may send messages" };
    case "accept-invite":
      return "self";
    case "approve-request":
      return { adminOnly: "approve requests to join" };
    case "deny-request":
      return isOwn(modification.aci) ? "self" : { adminOnly: "turn down requests to join" };
  }
}

/** Whether the access rule lets a member do it. */
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
 * Why `own` may not make these modifications to `group` (for the user to read), or undefined
 * when Signal's access rules allow them.
 */
export function accessRefusal(
  group: SignalGroup,
  own: OwnAccount,
  modifications: readonly GroupModification[],
): string | undefined {
  if (group.terminated) return "The group was ended; nobody can change it any more.";
  const member = group.members.find((entry) => entry.aci === own.aci);
  const isAdmin = member?.role === "admin";
  for (const modification of modifications) {
    const need = needOf(group, own, modification);
    if (need === "self") continue;
    if (!member) return "Your Signal account is not a member of this group.";
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
