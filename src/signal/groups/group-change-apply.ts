// Applies a decrypted group change to a group state, giving the state at the change's revision.
import type { DecryptedGroupChange, GroupEdit } from "./group-change.js";
import type { SignalGroup } from "./group-model.js";

function applyEdit(group: SignalGroup, edit: GroupEdit): SignalGroup {
  const withoutMember = (aci: string) => group.members.filter((member) => member.aci !== aci);
  const withoutPending = (serviceId: string) =>
    group.pendingMembers.filter((pending) => pending.serviceId !== serviceId);
  const withoutRequesting = (aci: string) => group.requestingMembers.filter((entry) => entry.aci !== aci);
  switch (edit.kind) {
    case "title":
      return { ...group, title: edit.title };
    case "description":
      return { ...group, description: edit.description };
    case "avatar":
      return { ...group, avatarKey: edit.avatarKey };
    case "timer":
      return { ...group, disappearingTimerSeconds: edit.seconds };
    case "member-added":
      return {
        ...group,
        members: [...withoutMember(edit.member.aci), edit.member],
        pendingMembers: withoutPending(edit.member.aci),
        requestingMembers: withoutRequesting(edit.member.aci),
      };
    case "member-removed":
      return { ...group, members: withoutMember(edit.aci) };
    case "role":
      return {
        ...group,
        members: group.members.map((member) =>
          member.aci === edit.aci ? { ...member, role: edit.role } : member,
        ),
      };
    case "profile-key":
      return {
        ...group,
        members: group.members.map((member) =>
          member.aci === edit.aci ? { ...member, profileKey: edit.profileKey } : member,
        ),
      };
    case "member-invited":
      return { ...group, pendingMembers: [...withoutPending(edit.pending.serviceId), edit.pending] };
    case "invite-revoked":
      return { ...group, pendingMembers: withoutPending(edit.serviceId) };
    case "invite-accepted": {
      const invitation = group.pendingMembers.find((pending) => pending.serviceId === edit.invitedServiceId);
      return {
        ...group,
        pendingMembers: withoutPending(edit.invitedServiceId),
        members: [
          ...withoutMember(edit.aci),
          {
            aci: edit.aci,
            role: invitation?.role ?? "member",
            profileKey: edit.profileKey,
            joinedAtRevision: group.revision,
          },
        ],
      };
    }
    case "join-requested":
      return { ...group, requestingMembers: [...withoutRequesting(edit.requesting.aci), edit.requesting] };
    case "join-request-cancelled":
      return { ...group, requestingMembers: withoutRequesting(edit.aci) };
    case "join-request-approved": {
      const request = group.requestingMembers.find((entry) => entry.aci === edit.aci);
      return {
        ...group,
        requestingMembers: withoutRequesting(edit.aci),
        members: [
          ...withoutMember(edit.aci),
          {
            aci: edit.aci,
            role: edit.role,
            profileKey: request?.profileKey ?? null,
            joinedAtRevision: group.revision,
          },
        ],
      };
    }
    case "banned":
      return {
        ...group,
        bannedMembers: [
          ...group.bannedMembers.filter((entry) => entry.serviceId !== edit.serviceId),
          { serviceId: edit.serviceId, timestamp: edit.timestamp },
        ],
      };
    case "unbanned":
      return {
        ...group,
        bannedMembers: group.bannedMembers.filter((entry) => entry.serviceId !== edit.serviceId),
      };
    case "access-attributes":
      return { ...group, access: { ...group.access, attributes: edit.access } };
    case "access-members":
      return { ...group, access: { ...group.access, members: edit.access } };
    case "access-invite-link":
      return { ...group, access: { ...group.access, addFromInviteLink: edit.access } };
    case "invite-link-password":
      return { ...group, inviteLinkPassword: edit.password };
    case "announcements-only":
      return { ...group, announcementsOnly: edit.enabled };
    case "terminated":
      return { ...group, terminated: true };
  }
}

/** The group after `change`; the change must be the one right after the group's revision. */
export function applyGroupChange(group: SignalGroup, change: DecryptedGroupChange): SignalGroup {
  let next: SignalGroup = { ...group, revision: change.revision };
  for (const edit of change.edits) next = applyEdit(next, edit);
  return next;
}
