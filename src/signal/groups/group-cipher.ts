// Decrypts and encrypts the fields of a groups v2 group with its secret params (zkgroup).
import { Aci, ServiceId } from "@signalapp/libsignal-client";
import {
  ClientZkGroupCipher,
  GroupMasterKey,
  GroupSecretParams,
  ProfileKeyCiphertext,
  UuidCiphertext,
} from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import { signalservice } from "../../proto/generated/signal.js";
import { SignalClientError } from "../errors.js";
import type { GroupAccess, GroupRole, SignalGroup } from "./group-model.js";

/** Group data did not decrypt or made no sense; the message says which part. */
export class GroupDataError extends SignalClientError {}

const Role = signalservice.Member.Role;
const AccessRequired = signalservice.AccessControl.AccessRequired;

export function roleOf(role: signalservice.Member.Role | null | undefined): GroupRole {
  return role === Role.ADMINISTRATOR ? "admin" : "member";
}

export function roleToProto(role: GroupRole): signalservice.Member.Role {
  return role === "admin" ? Role.ADMINISTRATOR : Role.DEFAULT;
}

export function accessOf(access: signalservice.AccessControl.AccessRequired | null | undefined): GroupAccess {
  switch (access) {
    case AccessRequired.ANY:
      return "anyone";
    case AccessRequired.MEMBER:
      return "members";
    case AccessRequired.ADMINISTRATOR:
      return "admins";
    case AccessRequired.UNSATISFIABLE:
      return "nobody";
    default:
      return "unknown";
  }
}

export function accessToProto(access: GroupAccess): signalservice.AccessControl.AccessRequired {
  switch (access) {
    case "anyone":
      return AccessRequired.ANY;
    case "members":
      return AccessRequired.MEMBER;
    case "admins":
      return AccessRequired.ADMINISTRATOR;
    case "nobody":
      return AccessRequired.UNSATISFIABLE;
    case "unknown":
      return AccessRequired.UNKNOWN;
  }
}

function copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}

/** The cipher of one group, from its master key. */
export class GroupCipher {
  readonly secretParams: GroupSecretParams;
  private readonly cipher: ClientZkGroupCipher;

  constructor(readonly masterKey: Uint8Array) {
    if (masterKey.length !== GroupMasterKey.SIZE) {
      throw new GroupDataError(
        `A group master key has ${GroupMasterKey.SIZE} bytes, not ${masterKey.length}.`,
      );
    }
    this.secretParams = GroupSecretParams.deriveFromMasterKey(new GroupMasterKey(copy(masterKey)));
    this.cipher = new ClientZkGroupCipher(this.secretParams);
  }

  get groupId(): Uint8Array {
    return this.secretParams.getPublicParams().getGroupIdentifier().serialize();
  }

  get publicParams(): Uint8Array {
    return this.secretParams.getPublicParams().serialize();
  }

  /** `<uuid>` for an ACI, `PNI:<uuid>` for a PNI. */
  serviceId(ciphertext: Uint8Array | null | undefined, what: string): string {
    if (!ciphertext || ciphertext.length === 0) throw new GroupDataError(`The group data lacks ${what}.`);
    try {
      return this.cipher.decryptServiceId(new UuidCiphertext(copy(ciphertext))).getServiceIdString();
    } catch (error) {
      throw new GroupDataError(`The ${what} in the group data does not decrypt with the group's key.`, {
        cause: error,
      });
    }
  }

  aci(ciphertext: Uint8Array | null | undefined, what: string): string {
    const serviceId = this.serviceId(ciphertext, what);
    if (serviceId.startsWith("PNI:")) throw new GroupDataError(`The ${what} is a PNI where an ACI belongs.`);
    return serviceId;
  }

  /** Encrypts `<uuid>` (an ACI) or `PNI:<uuid>`. */
  encryptServiceId(serviceId: string): Uint8Array {
    return this.cipher.encryptServiceId(ServiceId.parseFromServiceIdString(serviceId)).serialize();
  }

  /** A member's profile key; null when absent or undecryptable (the member is still a member). */
  profileKey(ciphertext: Uint8Array | null | undefined, aci: string): Uint8Array | null {
    if (!ciphertext || ciphertext.length === 0) return null;
    try {
      return this.cipher
        .decryptProfileKey(new ProfileKeyCiphertext(copy(ciphertext)), Aci.fromUuid(aci))
        .serialize();
    } catch {
      return null;
    }
  }

  /** An encrypted attribute (title, description, timer, avatar); null when empty. */
  blob(ciphertext: Uint8Array | null | undefined, what: string): signalservice.GroupAttributeBlob | null {
    if (!ciphertext || ciphertext.length === 0) return null;
    try {
      return signalservice.GroupAttributeBlob.decode(this.cipher.decryptBlob(copy(ciphertext)));
    } catch (error) {
      throw new GroupDataError(`The group's ${what} does not decrypt with the group's key.`, {
        cause: error,
      });
    }
  }

  encryptBlob(blob: signalservice.GroupAttributeBlob.$Properties): Uint8Array {
    return this.cipher.encryptBlob(copy(signalservice.GroupAttributeBlob.encode(blob).finish()));
  }

  title(ciphertext: Uint8Array | null | undefined): string {
    return this.blob(ciphertext, "title")?.title ?? "";
  }

  description(ciphertext: Uint8Array | null | undefined): string {
    return this.blob(ciphertext, "description")?.descriptionText ?? "";
  }

  timerSeconds(ciphertext: Uint8Array | null | undefined): number {
    return this.blob(ciphertext, "disappearing-messages timer")?.disappearingMessagesDuration ?? 0;
  }

  /** The whole group state as the server keeps it, decrypted. */
  decryptGroup(group: signalservice.Group.$Properties): SignalGroup {
    const members = (group.members ?? []).map((member) => {
      const aci = this.aci(member.userId, "member id");
      return {
        aci,
        role: roleOf(member.role),
        profileKey: this.profileKey(member.profileKey, aci),
        joinedAtRevision: member.joinedAtVersion ?? null,
      };
    });
    return {
      masterKey: this.masterKey,
      id: this.groupId,
      revision: group.version ?? 0,
      title: this.title(group.title),
      description: this.description(group.description),
      avatarKey: group.avatarUrl ? group.avatarUrl : null,
      disappearingTimerSeconds: this.timerSeconds(group.disappearingMessagesTimer),
      members,
      pendingMembers: (group.membersPendingProfileKey ?? []).map((pending) => ({
        serviceId: this.serviceId(pending.member?.userId, "invited member id"),
        role: roleOf(pending.member?.role),
        addedByAci: pending.addedByUserId?.length ? this.aci(pending.addedByUserId, "inviter id") : null,
        timestamp: pending.timestamp ?? 0,
      })),
      requestingMembers: (group.membersPendingAdminApproval ?? []).map((requesting) => {
        const aci = this.aci(requesting.userId, "requesting member id");
        return {
          aci,
          profileKey: this.profileKey(requesting.profileKey, aci),
          timestamp: requesting.timestamp ?? 0,
        };
      }),
      bannedMembers: (group.membersBanned ?? []).map((banned) => ({
        serviceId: this.serviceId(banned.userId, "banned member id"),
        timestamp: banned.timestamp ?? 0,
      })),
      access: {
        attributes: accessOf(group.accessControl?.attributes),
        members: accessOf(group.accessControl?.members),
        addFromInviteLink: accessOf(group.accessControl?.addFromInviteLink),
      },
      announcementsOnly: group.announcementsOnly ?? false,
      inviteLinkPassword: group.inviteLinkPassword?.length ? group.inviteLinkPassword : null,
      terminated: group.terminated ?? false,
    };
  }
}
