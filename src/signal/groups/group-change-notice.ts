// A decrypted group change in the shape the Signal -> Matrix conversion describes to users:
// an editor ACI and a list of plain actions. The types mirror `GroupChange` of
// src/convert/signal-group-change-to-matrix.ts structurally (signal/ may not import convert/),
// so a value of this type can be passed there as it is.
import type { DecryptedGroupChange, GroupEdit } from "./group-change.js";
import type { GroupAccess } from "./group-model.js";

export type GroupNoticeAccess = "anyone" | "members" | "admins" | "nobody";

export type GroupNoticeAction =
  | { kind: "title"; title: string }
  | { kind: "description"; description: string }
  | { kind: "avatar"; removed: boolean }
  | { kind: "timer"; seconds: number }
  | { kind: "member-added"; aci: string; viaInviteLink?: boolean }
  | { kind: "member-removed"; aci: string }
  | { kind: "member-invited"; serviceId: string }
  | { kind: "invite-revoked"; serviceId: string }
  | { kind: "invite-accepted"; aci: string }
  | { kind: "join-requested"; aci: string }
  | { kind: "join-request-approved"; aci: string }
  | { kind: "join-request-cancelled"; aci: string }
  | { kind: "role"; aci: string; admin: boolean }
  | { kind: "banned"; serviceId: string }
  | { kind: "unbanned"; serviceId: string }
  | { kind: "access-attributes"; access: GroupNoticeAccess }
  | { kind: "access-members"; access: GroupNoticeAccess }
  | { kind: "access-invite-link"; access: GroupNoticeAccess }
  | { kind: "invite-link-reset" }
  | { kind: "announcements-only"; enabled: boolean }
  | { kind: "terminated" };

export interface GroupChangeNotice {
  /** Who made the change, when it was an ACI. */
  editorAci?: string;
  actions: readonly GroupNoticeAction[];
}

function knownAccess(access: GroupAccess): access is GroupNoticeAccess {
  return access !== "unknown";
}

// Edits nobody needs to be told about (profile key rotations, unknown access levels) map to null.
function noticeAction(edit: GroupEdit): GroupNoticeAction | null {
  switch (edit.kind) {
    case "title":
    case "description":
    case "timer":
    case "member-removed":
    case "invite-revoked":
    case "join-request-cancelled":
    case "unbanned":
    case "announcements-only":
    case "terminated":
      return edit;
    case "avatar":
      return { kind: "avatar", removed: edit.avatarKey === null };
    case "member-added":
      return edit.viaInviteLink
        ? { kind: "member-added", aci: edit.member.aci, viaInviteLink: true }
        : { kind: "member-added", aci: edit.member.aci };
    case "role":
      return { kind: "role", aci: edit.aci, admin: edit.role === "admin" };
    case "profile-key":
      return null;
    case "member-invited":
      return { kind: "member-invited", serviceId: edit.pending.serviceId };
    case "invite-accepted":
      return { kind: "invite-accepted", aci: edit.aci };
    case "join-requested":
      return { kind: "join-requested", aci: edit.requesting.aci };
    case "join-request-approved":
      return { kind: "join-request-approved", aci: edit.aci };
    case "banned":
      return { kind: "banned", serviceId: edit.serviceId };
    case "access-attributes":
    case "access-members":
    case "access-invite-link":
      return knownAccess(edit.access) ? { kind: edit.kind, access: edit.access } : null;
    case "invite-link-password":
      return edit.password ? { kind: "invite-link-reset" } : null;
  }
}

export function groupChangeNotice(change: DecryptedGroupChange): GroupChangeNotice {
  const actions = change.edits
    .map(noticeAction)
    .filter((action): action is GroupNoticeAction => action !== null);
  const editor = change.editorServiceId;
  return editor && !editor.startsWith("PNI:") ? { editorAci: editor, actions } : { actions };
}
