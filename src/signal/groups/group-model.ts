// A decrypted groups v2 group as this client hands it out. Service ids are lowercase UUIDs for
// ACIs and `PNI:<uuid>` for PNIs (invitations can be addressed to a phone number identity).

export type GroupRole = "admin" | "member";

/** Who may do something (groups v2 `AccessControl.AccessRequired`); "unknown" when unset. */
export type GroupAccess = "anyone" | "members" | "admins" | "nobody" | "unknown";

export interface GroupMember {
  aci: string;
  role: GroupRole;
  /** The member's profile key as they shared it with the group. SECRET. */
  profileKey: Uint8Array | null;
  /** The revision at which they joined, when the server says. */
  joinedAtRevision: number | null;
}

/** Invited, not yet accepted. */
export interface PendingGroupMember {
  serviceId: string;
  role: GroupRole;
  /** ACI of who invited them, when known. */
  addedByAci: string | null;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/** Asked to join through the group link; an admin has to approve. */
export interface RequestingGroupMember {
  aci: string;
  profileKey: Uint8Array | null;
  timestamp: number;
}

export interface BannedGroupMember {
  serviceId: string;
  timestamp: number;
}

export interface SignalGroup {
  /** 32 bytes. SECRET: whoever has it can read the group. */
  masterKey: Uint8Array;
  /** The public group identifier (32 bytes); base64 of it identifies the group to others. */
  id: Uint8Array;
  revision: number;
  title: string;
  description: string;
  /** CDN key of the encrypted avatar; null when the group has none. */
  avatarKey: string | null;
  /** 0 when disappearing messages are off. */
  disappearingTimerSeconds: number;
  members: GroupMember[];
  pendingMembers: PendingGroupMember[];
  requestingMembers: RequestingGroupMember[];
  bannedMembers: BannedGroupMember[];
  access: { attributes: GroupAccess; members: GroupAccess; addFromInviteLink: GroupAccess };
  /** Only admins may send messages. */
  announcementsOnly: boolean;
  /** Secret of the group link; null when never enabled. SECRET. */
  inviteLinkPassword: Uint8Array | null;
  /** The group was ended by an admin; nobody can send or change it any more. */
  terminated: boolean;
}
