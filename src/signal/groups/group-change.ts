// Decrypts a groups v2 change (`GroupChange.Actions`) into plain edits.
import { signalservice } from "../../proto/generated/signal.js";
import { accessOf, roleOf, type GroupCipher } from "./group-cipher.js";
import type {
  GroupAccess,
  GroupMember,
  GroupRole,
  PendingGroupMember,
  RequestingGroupMember,
} from "./group-model.js";

/** One decrypted edit of a group change. */
export type GroupEdit =
  | { kind: "title"; title: string }
  | { kind: "description"; description: string }
  | { kind: "avatar"; avatarKey: string | null }
  | { kind: "timer"; seconds: number }
  | { kind: "member-added"; member: GroupMember; viaInviteLink: boolean }
  | { kind: "member-removed"; aci: string }
  | { kind: "role"; aci: string; role: GroupRole }
  | { kind: "profile-key"; aci: string; profileKey: Uint8Array | null }
  | { kind: "member-invited"; pending: PendingGroupMember }
  | { kind: "invite-revoked"; serviceId: string }
  /** An invitation (to `invitedServiceId`, the ACI or a PNI) was accepted by `aci`. */
  | { kind: "invite-accepted"; invitedServiceId: string; aci: string; profileKey: Uint8Array | null }
  | { kind: "join-requested"; requesting: RequestingGroupMember }
  | { kind: "join-request-cancelled"; aci: string }
  | { kind: "join-request-approved"; aci: string; role: GroupRole }
  | { kind: "banned"; serviceId: string; timestamp: number }
  | { kind: "unbanned"; serviceId: string }
  | { kind: "access-attributes"; access: GroupAccess }
  | { kind: "access-members"; access: GroupAccess }
  | { kind: "access-invite-link"; access: GroupAccess }
  | { kind: "invite-link-password"; password: Uint8Array | null }
  | { kind: "announcements-only"; enabled: boolean }
  | { kind: "terminated" };

export interface DecryptedGroupChange {
  /** Who made the change (ACI, or `PNI:` for an invitee accepting with their PNI); null when unknown. */
  editorServiceId: string | null;
  /** The revision the group has after this change. */
  revision: number;
  edits: GroupEdit[];
}

function bytesOrNull(value: Uint8Array | null | undefined): Uint8Array | null {
  return value && value.length > 0 ? value : null;
}

export function decryptGroupChangeActions(
  cipher: GroupCipher,
  actions: signalservice.GroupChange.Actions,
): DecryptedGroupChange {
  const edits: GroupEdit[] = [];
  const now = (timestamp: number | null | undefined): number => timestamp ?? 0;

  for (const { added, joinFromInviteLink } of actions.addMembers) {
    if (!added) continue;
    const aci = cipher.aci(added.userId, "added member id");
    edits.push({
      kind: "member-added",
      member: {
        aci,
        role: roleOf(added.role),
        profileKey: cipher.profileKey(added.profileKey, aci),
        joinedAtRevision: actions.version,
      },
      viaInviteLink: joinFromInviteLink ?? false,
    });
  }
  for (const { deletedUserId } of actions.deleteMembers) {
    edits.push({ kind: "member-removed", aci: cipher.aci(deletedUserId, "removed member id") });
  }
  for (const { userId, role } of actions.modifyMemberRoles) {
    edits.push({ kind: "role", aci: cipher.aci(userId, "member id"), role: roleOf(role) });
  }
  for (const { userId, profileKey } of actions.modifyMemberProfileKeys) {
    // Changes built from a presentation carry only that; the server fills in userId/profileKey.
    if (!userId?.length) continue;
    const aci = cipher.aci(userId, "member id");
    edits.push({ kind: "profile-key", aci, profileKey: cipher.profileKey(profileKey, aci) });
  }
  for (const { added } of actions.addMembersPendingProfileKey) {
    if (!added?.member) continue;
    edits.push({
      kind: "member-invited",
      pending: {
        serviceId: cipher.serviceId(added.member.userId, "invited member id"),
        role: roleOf(added.member.role),
        addedByAci: added.addedByUserId?.length ? cipher.aci(added.addedByUserId, "inviter id") : null,
        timestamp: now(added.timestamp),
      },
    });
  }
  for (const { deletedUserId } of actions.deleteMembersPendingProfileKey) {
    edits.push({ kind: "invite-revoked", serviceId: cipher.serviceId(deletedUserId, "invited member id") });
  }
  for (const { userId, profileKey } of actions.promoteMembersPendingProfileKey) {
    if (!userId?.length) continue;
    const aci = cipher.aci(userId, "invited member id");
    edits.push({
      kind: "invite-accepted",
      invitedServiceId: aci,
      aci,
      profileKey: cipher.profileKey(profileKey, aci),
    });
  }
  for (const { userId, pni, profileKey } of actions.promoteMembersPendingPniAciProfileKey) {
    if (!userId?.length) continue;
    const aci = cipher.aci(userId, "invited member id");
    edits.push({
      kind: "invite-accepted",
      invitedServiceId: cipher.serviceId(pni, "invited member PNI"),
      aci,
      profileKey: cipher.profileKey(profileKey, aci),
    });
  }
  for (const { added } of actions.addMembersPendingAdminApproval) {
    if (!added) continue;
    const aci = cipher.aci(added.userId, "requesting member id");
    edits.push({
      kind: "join-requested",
      requesting: {
        aci,
        profileKey: cipher.profileKey(added.profileKey, aci),
        timestamp: now(added.timestamp),
      },
    });
  }
  for (const { deletedUserId } of actions.deleteMembersPendingAdminApproval) {
    edits.push({ kind: "join-request-cancelled", aci: cipher.aci(deletedUserId, "requesting member id") });
  }
  for (const { userId, role } of actions.promoteMembersPendingAdminApproval) {
    edits.push({
      kind: "join-request-approved",
      aci: cipher.aci(userId, "requesting member id"),
      role: roleOf(role),
    });
  }
  for (const { added } of actions.addMembersBanned) {
    if (!added) continue;
    edits.push({
      kind: "banned",
      serviceId: cipher.serviceId(added.userId, "banned member id"),
      timestamp: now(added.timestamp),
    });
  }
  for (const { deletedUserId } of actions.deleteMembersBanned) {
    edits.push({ kind: "unbanned", serviceId: cipher.serviceId(deletedUserId, "banned member id") });
  }
  if (actions.modifyTitle) edits.push({ kind: "title", title: cipher.title(actions.modifyTitle.title) });
  if (actions.modifyDescription) {
    edits.push({
      kind: "description",
      description: cipher.description(actions.modifyDescription.description),
    });
  }
  if (actions.modifyAvatar) edits.push({ kind: "avatar", avatarKey: actions.modifyAvatar.avatar || null });
  if (actions.modifyDisappearingMessageTimer) {
    edits.push({ kind: "timer", seconds: cipher.timerSeconds(actions.modifyDisappearingMessageTimer.timer) });
  }
  if (actions.modifyAttributesAccess) {
    edits.push({
      kind: "access-attributes",
      access: accessOf(actions.modifyAttributesAccess.attributesAccess),
    });
  }
  if (actions.modifyMemberAccess) {
    edits.push({ kind: "access-members", access: accessOf(actions.modifyMemberAccess.membersAccess) });
  }
  if (actions.modifyAddFromInviteLinkAccess) {
    edits.push({
      kind: "access-invite-link",
      access: accessOf(actions.modifyAddFromInviteLinkAccess.addFromInviteLinkAccess),
    });
  }
  if (actions.modifyInviteLinkPassword) {
    edits.push({
      kind: "invite-link-password",
      password: bytesOrNull(actions.modifyInviteLinkPassword.inviteLinkPassword),
    });
  }
  if (actions.modifyAnnouncementsOnly) {
    edits.push({
      kind: "announcements-only",
      enabled: actions.modifyAnnouncementsOnly.announcementsOnly ?? false,
    });
  }
  if (actions.terminateGroup) edits.push({ kind: "terminated" });

  return {
    editorServiceId:
      actions.sourceUserId.length > 0 ? cipher.serviceId(actions.sourceUserId, "editor id") : null,
    revision: actions.version,
    edits,
  };
}
