// Groups v2 for one account: fetch a group by master key, follow its changes (from the change log
// or from a change carried in a group message), change it, and fetch its avatar.
import {
  ClientZkProfileOperations,
  GroupSecretParams,
  NotarySignature,
  ServerPublicParams,
} from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import { fetchProfileKeyCredential } from "../profiles/profile-key-credential.js";
import { fromBase64, type ChatRequester } from "../chat-api.js";
import type { SignalEnvironment } from "../environment.js";
import { signalservice } from "../../proto/generated/signal.js";
import { accessOf, accessToProto, GroupCipher, GroupDataError, roleToProto } from "./group-cipher.js";
import { applyGroupChange } from "./group-change-apply.js";
import { decryptGroupChangeActions, type DecryptedGroupChange } from "./group-change.js";
import { GroupCredentials } from "./group-credentials.js";
import type { GroupAccess, GroupRole, SignalGroup } from "./group-model.js";
import {
  createGroupState,
  fetchAvatarUploadForm,
  fetchGroupAvatar,
  fetchGroupJoinInfo,
  fetchGroupLogPage,
  fetchGroupState,
  patchGroup,
  uploadGroupAvatarBlob,
} from "./groups-api.js";

export interface GroupsClientOptions {
  environment: SignalEnvironment;
  /** An authenticated chat connection of the account; needed about once a week for credentials. */
  chat: ChatRequester;
  /** Our ACI and PNI as lowercase UUIDs (no prefix). */
  aci: string;
  pni: string;
  /** Milliseconds since the epoch; tests pass a fixed clock. */
  now?: () => number;
}

/** The group after following its changes, and the changes in order (for notices). */
export interface GroupUpdate {
  group: SignalGroup;
  changes: DecryptedGroupChange[];
}

/** The groups v2 part of a group message (`DataMessage.groupV2`). */
export interface GroupMessageContext {
  revision: number;
  /** Serialized signed `GroupChange`, when the sender attached the change that made `revision`. */
  groupChange?: Uint8Array | null;
}

/** A change we can make to a group. */
export type GroupModification =
  | { kind: "title"; title: string }
  | { kind: "description"; description: string }
  /** An avatar uploaded with `uploadAvatar` (its CDN key), or null to remove it. */
  | { kind: "avatar"; avatarKey: string | null }
  | { kind: "timer"; seconds: number }
  /** A full member, proven with their profile key credential (see `memberPresentation`). */
  | { kind: "add-member"; aci: string; role: GroupRole; presentation: Uint8Array }
  /** An invitation (a pending member) for someone whose profile key we lack. */
  | { kind: "invite"; serviceId: string; role: GroupRole }
  | { kind: "remove-member"; aci: string }
  /** Takes back an invitation; for our own, declines it. */
  | { kind: "revoke-invite"; serviceId: string }
  | { kind: "ban"; serviceId: string }
  | { kind: "role"; aci: string; role: GroupRole }
  | { kind: "access-attributes"; access: GroupAccess }
  | { kind: "access-members"; access: GroupAccess }
  | { kind: "access-invite-link"; access: GroupAccess }
  /** Accepts our invitation (to our ACI, or to our PNI), with our profile key's proof. */
  | { kind: "accept-invite"; presentation: Uint8Array; invitedAs: "aci" | "pni" }
  /** Lets in someone who asked to join by the group link. */
  | { kind: "approve-request"; aci: string; role: GroupRole }
  /** Turns down (or, for ourselves, withdraws) a request to join. */
  | { kind: "deny-request"; aci: string }
  /** A new secret for the group link (turning it on first needs one). */
  | { kind: "invite-link-password"; password: Uint8Array }
  | { kind: "announcements-only"; enabled: boolean };

/** A group to create: we are its first member and admin. */
export interface NewGroup {
  /** 32 random bytes (see `newGroupMasterKey`). SECRET. */
  masterKey: Uint8Array;
  title: string;
  description?: string | undefined;
  /** The CDN key of an avatar uploaded for this master key (see `uploadAvatar`). */
  avatarKey?: string | undefined;
  /** Full members, ourselves first: proofs of their profile keys (see `memberPresentation`). */
  members: ReadonlyArray<{ role: GroupRole; presentation: Uint8Array }>;
  /** Invited members whose profile keys we lack, by service id. */
  invited: readonly string[];
  /** Milliseconds since the epoch, for the invitations. */
  now: number;
}

/** What the group link shows before joining. */
export interface GroupJoinInfo {
  title: string;
  description: string;
  avatarKey: string | null;
  memberCount: number;
  /** "anyone": joining is immediate; "admins": an admin has to approve; else the link is off. */
  access: GroupAccess;
  revision: number;
  /** We asked to join already and wait for an admin. */
  pendingApproval: boolean;
}

/** How joining by a link ended: a member now, or waiting for an admin's approval. */
export type GroupJoinOutcome =
  { kind: "joined"; group: SignalGroup; signedChange: Uint8Array } | { kind: "requested" };

/** A new group's master key. SECRET. */
export function newGroupMasterKey(): Uint8Array {
  return GroupSecretParams.generate().getMasterKey().serialize();
}

/** Our change as the server accepted it. */
export interface GroupModificationResult extends GroupUpdate {
  /**
   * The signed change (serialized `GroupChange`): put it in `groupV2.groupChange`, with the new
   * revision, of the group message that tells the members.
   */
  signedChange: Uint8Array;
}

export class GroupsClient {
  private readonly credentials: GroupCredentials;
  private readonly serverParams: ServerPublicParams;

  constructor(private readonly options: GroupsClientOptions) {
    this.credentials = new GroupCredentials(options);
    this.serverParams = new ServerPublicParams(fromBase64(options.environment.serverPublicParams));
  }

  /** The group's current state. */
  async fetchGroup(masterKey: Uint8Array): Promise<SignalGroup> {
    const cipher = new GroupCipher(masterKey);
    const state = await fetchGroupState(
      this.options.environment,
      await this.credentials.authorization(cipher),
    );
    return cipher.decryptGroup(state);
  }

  /**
   * Creates a group at revision 0, everyone may edit it and add members, no group link; resolves
   * to the group as the server has it.
   */
  async createGroup(newGroup: NewGroup): Promise<SignalGroup> {
    const cipher = new GroupCipher(newGroup.masterKey);
    const AccessRequired = signalservice.AccessControl.AccessRequired;
    const state = await createGroupState(
      this.options.environment,
      await this.credentials.authorization(cipher),
      {
        publicKey: cipher.publicParams,
        version: 0,
        title: cipher.encryptBlob({ title: newGroup.title }),
        ...(newGroup.description
          ? { description: cipher.encryptBlob({ descriptionText: newGroup.description }) }
          : {}),
        ...(newGroup.avatarKey ? { avatarUrl: newGroup.avatarKey } : {}),
        accessControl: {
          attributes: AccessRequired.MEMBER,
          members: AccessRequired.MEMBER,
          addFromInviteLink: AccessRequired.UNSATISFIABLE,
        },
        members: newGroup.members.map((member) => ({
          role: roleToProto(member.role),
          presentation: member.presentation,
          joinedAtVersion: 0,
        })),
        membersPendingProfileKey: newGroup.invited.map((serviceId) => ({
          member: { userId: cipher.encryptServiceId(serviceId), role: roleToProto("member") },
          addedByUserId: cipher.encryptServiceId(this.options.aci),
          timestamp: newGroup.now,
        })),
      },
    );
    return cipher.decryptGroup(state);
  }

  /** What the group link shows to someone who has it; GroupAccessDeniedError when it is off or reset. */
  async joinInfo(masterKey: Uint8Array, inviteLinkPassword: Uint8Array): Promise<GroupJoinInfo> {
    const cipher = new GroupCipher(masterKey);
    const info = await fetchGroupJoinInfo(
      this.options.environment,
      await this.credentials.authorization(cipher),
      inviteLinkPassword,
    );
    return {
      title: cipher.title(info.title),
      description: cipher.description(info.description),
      avatarKey: info.avatar || null,
      memberCount: info.memberCount ?? 0,
      access: accessOf(info.addFromInviteLink),
      revision: info.version ?? 0,
      pendingApproval: info.pendingAdminApproval ?? false,
    };
  }

  /**
   * Joins by the group link with our profile key's proof: as a member when the link lets anyone
   * in, else as a request an admin has to approve.
   */
  async joinByLink(
    masterKey: Uint8Array,
    inviteLinkPassword: Uint8Array,
    info: GroupJoinInfo,
    presentation: Uint8Array,
  ): Promise<GroupJoinOutcome> {
    const cipher = new GroupCipher(masterKey);
    const direct = info.access === "anyone";
    const actions: signalservice.GroupChange.Actions.$Properties = direct
      ? {
          version: info.revision + 1,
          addMembers: [{ added: { role: roleToProto("member"), presentation }, joinFromInviteLink: true }],
        }
      : { version: info.revision + 1, addMembersPendingAdminApproval: [{ added: { presentation } }] };
    const signed = await patchGroup(
      this.options.environment,
      await this.credentials.authorization(cipher),
      signalservice.GroupChange.Actions.encode(actions).finish(),
      inviteLinkPassword,
    );
    if (!direct) return { kind: "requested" };
    return {
      kind: "joined",
      group: await this.fetchGroup(masterKey),
      signedChange: signalservice.GroupChange.encode(signed).finish(),
    };
  }

  /** Follows the change log from the group's revision to the current one. */
  async update(group: SignalGroup): Promise<GroupUpdate> {
    const cipher = new GroupCipher(group.masterKey);
    const changes: DecryptedGroupChange[] = [];
    let current = group;
    let latestState: signalservice.Group.$Properties | null = null;
    let since: number | null = group.revision + 1;
    while (since !== null) {
      const page = await fetchGroupLogPage(
        this.options.environment,
        await this.credentials.authorization(cipher),
        since,
      );
      for (const entry of page.changes) {
        const actionsBytes = entry.groupChange?.actions;
        if (actionsBytes?.length) {
          const change = decryptGroupChangeActions(
            cipher,
            signalservice.GroupChange.Actions.decode(actionsBytes),
          );
          if (change.revision > current.revision) {
            changes.push(change);
            current = applyGroupChange(current, change);
          }
        }
        if (entry.groupState) latestState = entry.groupState;
      }
      since = page.nextSince;
    }
    // The server's own state wins over ours where both exist: it also covers changes the log
    // leaves out (e.g. from before we could see the group).
    if (latestState && (latestState.version ?? 0) >= current.revision)
      current = cipher.decryptGroup(latestState);
    return { group: current, changes };
  }

  /**
   * Brings the group to the revision a group message names. The change the sender attached is
   * used when it is the next one and carries a valid server signature; otherwise the log is read.
   */
  async applyMessageContext(group: SignalGroup, context: GroupMessageContext): Promise<GroupUpdate> {
    if (context.revision <= group.revision) return { group, changes: [] };
    if (context.revision === group.revision + 1 && context.groupChange?.length) {
      const change = this.verifiedChange(group, context.groupChange);
      if (change && change.revision === context.revision) {
        return { group: applyGroupChange(group, change), changes: [change] };
      }
    }
    return this.update(group);
  }

  /** Makes the changes in one step; fails with GroupConflictError if someone was faster. */
  async modify(
    group: SignalGroup,
    modifications: readonly GroupModification[],
  ): Promise<GroupModificationResult> {
    if (modifications.length === 0)
      throw new GroupDataError("A group change needs at least one modification.");
    const cipher = new GroupCipher(group.masterKey);
    const actions = buildActions(cipher, group.revision + 1, modifications);
    const signed = await patchGroup(
      this.options.environment,
      await this.credentials.authorization(cipher),
      signalservice.GroupChange.Actions.encode(actions).finish(),
    );
    if (!signed.actions?.length) throw new GroupDataError("The groups service returned an empty change.");
    const change = decryptGroupChangeActions(
      cipher,
      signalservice.GroupChange.Actions.decode(signed.actions),
    );
    return {
      group: applyGroupChange(group, change),
      changes: [change],
      signedChange: signalservice.GroupChange.encode(signed).finish(),
    };
  }

  /**
   * Encrypts an avatar image with the group's key and uploads it to CDN 0; resolves to its key
   * for an `avatar` modification.
   */
  async uploadAvatar(group: Pick<SignalGroup, "masterKey">, image: Uint8Array): Promise<string> {
    const cipher = new GroupCipher(group.masterKey);
    const form = await fetchAvatarUploadForm(
      this.options.environment,
      await this.credentials.authorization(cipher),
    );
    await uploadGroupAvatarBlob(this.options.environment, form, cipher.encryptBlob({ avatar: image }));
    return form.key;
  }

  /**
   * Proof, for this group, that `aci` has `profileKey` (their profile key credential, presented
   * to the group): what adding them as a full member, or joining ourselves, takes.
   */
  async memberPresentation(
    group: Pick<SignalGroup, "masterKey">,
    aci: string,
    profileKey: Uint8Array,
  ): Promise<Uint8Array> {
    const credential = await fetchProfileKeyCredential(
      this.options.chat,
      this.options.environment.serverPublicParams,
      aci,
      profileKey,
    );
    const operations = new ClientZkProfileOperations(this.serverParams);
    return operations
      .createExpiringProfileKeyCredentialPresentation(
        new GroupCipher(group.masterKey).secretParams,
        credential,
      )
      .serialize();
  }

  /** The group's avatar image, or null when it has none. */
  async fetchAvatar(group: SignalGroup): Promise<Uint8Array | null> {
    if (!group.avatarKey) return null;
    const encrypted = await fetchGroupAvatar(this.options.environment, group.avatarKey);
    const avatar = new GroupCipher(group.masterKey).blob(encrypted, "avatar")?.avatar;
    return avatar && avatar.length > 0 ? avatar : null;
  }

  // A change from a message comes from another member, so it counts only if the server signed it.
  private verifiedChange(group: SignalGroup, serialized: Uint8Array): DecryptedGroupChange | null {
    try {
      const signed = signalservice.GroupChange.decode(serialized);
      if (!signed.actions.length || !signed.serverSignature.length) return null;
      this.serverParams.verifySignature(
        new Uint8Array(signed.actions),
        new NotarySignature(new Uint8Array(signed.serverSignature)),
      );
      const actions = signalservice.GroupChange.Actions.decode(signed.actions);
      if (actions.groupId.length > 0 && !Buffer.from(actions.groupId).equals(Buffer.from(group.id)))
        return null;
      return decryptGroupChangeActions(new GroupCipher(group.masterKey), actions);
    } catch {
      return null;
    }
  }
}

function buildActions(
  cipher: GroupCipher,
  version: number,
  modifications: readonly GroupModification[],
): signalservice.GroupChange.Actions.$Properties {
  const actions: signalservice.GroupChange.Actions.$Properties = {
    version,
    addMembers: [],
    deleteMembers: [],
    modifyMemberRoles: [],
    addMembersPendingProfileKey: [],
    deleteMembersPendingProfileKey: [],
    addMembersBanned: [],
  };
  for (const modification of modifications) {
    switch (modification.kind) {
      case "title":
        actions.modifyTitle = { title: cipher.encryptBlob({ title: modification.title }) };
        break;
      case "description":
        actions.modifyDescription = {
          description: cipher.encryptBlob({ descriptionText: modification.description }),
        };
        break;
      case "avatar":
        actions.modifyAvatar = { avatar: modification.avatarKey ?? "" };
        break;
      case "timer":
        actions.modifyDisappearingMessageTimer = {
          timer: cipher.encryptBlob({ disappearingMessagesDuration: modification.seconds }),
        };
        break;
      case "add-member":
        actions.addMembers?.push({
          added: { role: roleToProto(modification.role), presentation: modification.presentation },
          joinFromInviteLink: false,
        });
        break;
      case "invite":
        actions.addMembersPendingProfileKey?.push({
          added: {
            member: {
              userId: cipher.encryptServiceId(modification.serviceId),
              role: roleToProto(modification.role),
            },
          },
        });
        break;
      case "remove-member":
        actions.deleteMembers?.push({ deletedUserId: cipher.encryptServiceId(modification.aci) });
        break;
      case "revoke-invite":
        actions.deleteMembersPendingProfileKey?.push({
          deletedUserId: cipher.encryptServiceId(modification.serviceId),
        });
        break;
      case "ban":
        actions.addMembersBanned?.push({
          added: { userId: cipher.encryptServiceId(modification.serviceId), timestamp: Date.now() },
        });
        break;
      case "role":
        actions.modifyMemberRoles?.push({
          userId: cipher.encryptServiceId(modification.aci),
          role: roleToProto(modification.role),
        });
        break;
      case "access-attributes":
        actions.modifyAttributesAccess = { attributesAccess: accessToProto(modification.access) };
        break;
      case "access-members":
        actions.modifyMemberAccess = { membersAccess: accessToProto(modification.access) };
        break;
      case "access-invite-link":
        actions.modifyAddFromInviteLinkAccess = {
          addFromInviteLinkAccess: accessToProto(modification.access),
        };
        break;
      case "invite-link-password":
        actions.modifyInviteLinkPassword = { inviteLinkPassword: modification.password };
        break;
      case "announcements-only":
        actions.modifyAnnouncementsOnly = { announcementsOnly: modification.enabled };
        break;
      case "accept-invite":
        if (modification.invitedAs === "pni") {
          actions.promoteMembersPendingPniAciProfileKey = [
            ...(actions.promoteMembersPendingPniAciProfileKey ?? []),
            { presentation: modification.presentation },
          ];
        } else {
          actions.promoteMembersPendingProfileKey = [
            ...(actions.promoteMembersPendingProfileKey ?? []),
            { presentation: modification.presentation },
          ];
        }
        break;
      case "approve-request":
        actions.promoteMembersPendingAdminApproval = [
          ...(actions.promoteMembersPendingAdminApproval ?? []),
          { userId: cipher.encryptServiceId(modification.aci), role: roleToProto(modification.role) },
        ];
        break;
      case "deny-request":
        actions.deleteMembersPendingAdminApproval = [
          ...(actions.deleteMembersPendingAdminApproval ?? []),
          { deletedUserId: cipher.encryptServiceId(modification.aci) },
        ];
        break;
    }
  }
  return actions;
}
