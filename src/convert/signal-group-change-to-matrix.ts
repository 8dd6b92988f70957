import { durationText } from "./duration-text.js";
import type { MessageContent } from "./matrix-content.js";
import { nameOf, noticeContent } from "./signal-text-to-matrix.js";
import type { SignalToMatrixContext } from "./signal-to-matrix-context.js";

/** Who may do something in a group (groups v2 `AccessControl.AccessRequired`). */
export type GroupAccess = "anyone" | "members" | "admins" | "nobody";

/**
 * One decrypted action of a Signal group change (groups v2 `GroupChange.Actions`), with
 * member ids as ACI strings. `signal/` decrypts; this layer only describes.
 */
export type GroupChangeAction =
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
  | { kind: "access-attributes"; access: GroupAccess }
  | { kind: "access-members"; access: GroupAccess }
  | { kind: "access-invite-link"; access: GroupAccess }
  | { kind: "invite-link-reset" }
  | { kind: "announcements-only"; enabled: boolean }
  | { kind: "terminated" };

export interface GroupChange {
  /** Who made the change, when the group says. */
  editorAci?: string;
  actions: readonly GroupChangeAction[];
}

/** The accounts a change's notice names: its editor and whoever its actions are about. */
function namedIn(change: GroupChange): string[] {
  const ids = change.editorAci ? [change.editorAci] : [];
  for (const action of change.actions) {
    if ("aci" in action) ids.push(action.aci);
    if ("serviceId" in action) ids.push(action.serviceId);
  }
  return ids;
}

const ACCESS_TEXT: Readonly<Record<GroupAccess, string>> = {
  anyone: "anyone",
  members: "all members",
  admins: "only admins",
  nobody: "nobody",
};

/**
 * A group change as one notice with a line per action, naming who did what
 * ("Alice changed the group name to "Hikers""). Returns undefined when nothing is worth
 * showing (e.g. only a profile key rotation, which is not an action here).
 */
export async function signalGroupChangeToMatrix(
  change: GroupChange,
  ctx: SignalToMatrixContext,
): Promise<MessageContent | undefined> {
  // Everyone the change names, looked up first: the lines below are written synchronously.
  const names = new Map<string, string>();
  for (const id of namedIn(change)) if (!names.has(id)) names.set(id, await nameOf(id, ctx));
  const editor = change.editorAci ? names.get(change.editorAci)! : "Someone";
  const name = (serviceId: string) => names.get(serviceId)!;
  const lines = change.actions.map((action): string => {
    switch (action.kind) {
      case "title":
        return `${editor} changed the group name to "${action.title}"`;
      case "description":
        return action.description
          ? `${editor} changed the group description to "${action.description}"`
          : `${editor} removed the group description`;
      case "avatar":
        return action.removed ? `${editor} removed the group avatar` : `${editor} changed the group avatar`;
      case "timer":
        return action.seconds > 0
          ? `${editor} set disappearing messages to ${durationText(action.seconds)}`
          : `${editor} turned off disappearing messages`;
      case "member-added":
        if (action.viaInviteLink || action.aci === change.editorAci)
          return `${name(action.aci)} joined the group`;
        return `${editor} added ${name(action.aci)}`;
      case "member-removed":
        return action.aci === change.editorAci
          ? `${name(action.aci)} left the group`
          : `${editor} removed ${name(action.aci)}`;
      case "member-invited":
        return `${editor} invited ${name(action.serviceId)}`;
      case "invite-revoked":
        return action.serviceId === change.editorAci
          ? `${name(action.serviceId)} declined the invitation`
          : `${editor} revoked the invitation of ${name(action.serviceId)}`;
      case "invite-accepted":
        return `${name(action.aci)} accepted the invitation and joined the group`;
      case "join-requested":
        return `${name(action.aci)} asked to join the group`;
      case "join-request-approved":
        return `${editor} approved ${name(action.aci)}'s request to join`;
      case "join-request-cancelled":
        return action.aci === change.editorAci
          ? `${name(action.aci)} cancelled their request to join`
          : `${editor} denied ${name(action.aci)}'s request to join`;
      case "role":
        return action.admin
          ? `${editor} made ${name(action.aci)} an admin`
          : `${editor} removed ${name(action.aci)} as an admin`;
      case "banned":
        return `${editor} banned ${name(action.serviceId)}`;
      case "unbanned":
        return `${editor} unbanned ${name(action.serviceId)}`;
      case "access-attributes":
        return `${editor} changed who can edit the group info to ${ACCESS_TEXT[action.access]}`;
      case "access-members":
        return `${editor} changed who can add members to ${ACCESS_TEXT[action.access]}`;
      case "access-invite-link":
        return action.access === "nobody"
          ? `${editor} turned off the group link`
          : action.access === "admins"
            ? `${editor} turned on the group link with admin approval`
            : `${editor} turned on the group link`;
      case "invite-link-reset":
        return `${editor} reset the group link`;
      case "announcements-only":
        return action.enabled
          ? `${editor} allowed only admins to send messages`
          : `${editor} allowed all members to send messages`;
      case "terminated":
        return `${editor} ended the group`;
    }
  });
  return lines.length > 0 ? noticeContent(lines.join("\n")) : undefined;
}
