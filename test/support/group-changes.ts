/**
 * Group changes made by a member on the mock Signal server, and the group update message Signal
 * apps send the other members about them (a data message whose `groupV2` carries the server-signed
 * change), as in the mock's own PrimaryDevice#modifyGroup. The parts of a change the mock's groups
 * service leaves out are completed by helpGroupService (mock-group-service.ts).
 */
import {
  type Device,
  EMPTY_DATA_MESSAGE,
  EMPTY_GROUP_ACTIONS,
  Group,
  type PrimaryDevice,
  Proto,
} from "@signalapp/mock-server";
import { helpGroupService } from "./mock-group-service.js";
import type { MockSignalServer } from "./mock-signal-server.js";

const { AccessRequired } = Proto.AccessControl;

export interface GroupChangeRequest {
  title?: string;
  description?: string;
  /** Image bytes: stored (encrypted with the group's key) on the mock's CDN 0. */
  avatar?: Buffer;
  /** New members, with their profile keys, as plain members. */
  add?: PrimaryDevice[];
  /** Invited (pending) members: their profile keys are not known to the group. */
  invite?: PrimaryDevice[];
  /** Members made admins. */
  promote?: PrimaryDevice[];
  /** Admins made plain members. */
  demote?: PrimaryDevice[];
  remove?: PrimaryDevice[];
  /** Who may change the group's name, description, avatar and timer. */
  attributesAccess?: "members" | "admins";
  /** Who may add members. */
  membersAccess?: "members" | "admins";
  /** Turns the group link on: anyone with it joins, or asks to (admins approve); with its secret. */
  link?: { access: "anyone" | "admins"; password: Uint8Array };
  /** The editor asks to join by the group link (they are no member). */
  askToJoin?: boolean;
  /** Requests to join that the editor approves. */
  approve?: PrimaryDevice[];
}

/** A device's profile key credential presented to the group (the mock keeps the helper private). */
const presentationOf = (device: PrimaryDevice, group: Group) =>
  (
    device as unknown as {
      getProfileKeyPresentation(params: Group["secretParams"]): Promise<{ serialize(): Uint8Array }>;
    }
  ).getProfileKeyPresentation(group.secretParams);

const accessOf = (access: "members" | "admins") =>
  access === "admins" ? AccessRequired.ADMINISTRATOR : AccessRequired.MEMBER;

/**
 * `editor` changes `group` on the server and sends the group update to `notify`; resolves to the
 * group as it is afterwards.
 */
export async function changeGroup(
  mock: MockSignalServer,
  editor: PrimaryDevice,
  group: Group,
  request: GroupChangeRequest,
  notify: readonly Device[],
): Promise<Group> {
  helpGroupService(mock);
  const serverGroup = await mock.server.getGroup(group.publicParams.serialize());
  if (!serverGroup) throw new Error(`the mock server has no group ${group.id}`);
  const blob = (content: Record<string, unknown>) => group.encryptBlob({ content } as never);
  let avatar: string | undefined;
  if (request.avatar) {
    const cdn = mock.server as unknown as { storeAttachment(data: Buffer): Promise<string> };
    avatar = `attachments/${await cdn.storeAttachment(blob({ avatar: new Uint8Array(request.avatar) }))}`;
  }
  const roles = [
    ...(request.promote ?? []).map((device) => [device, Proto.Member.Role.ADMINISTRATOR] as const),
    ...(request.demote ?? []).map((device) => [device, Proto.Member.Role.DEFAULT] as const),
  ];
  const actions = {
    ...EMPTY_GROUP_ACTIONS,
    version: group.revision + 1,
    modifyTitle: request.title ? { title: blob({ title: request.title }) } : null,
    modifyDescription: request.description
      ? { description: blob({ descriptionText: request.description }) }
      : null,
    modifyAvatar: avatar ? { avatar } : null,
    deleteMembers: (request.remove ?? []).map((member) => ({
      deletedUserId: group.encryptServiceId(member.device.aci),
    })),
    addMembers: await Promise.all(
      (request.add ?? []).map(async (device) => ({
        added: {
          role: Proto.Member.Role.DEFAULT,
          presentation: (await presentationOf(device, group)).serialize(),
        },
        joinFromInviteLink: false,
      })),
    ),
    addMembersPendingProfileKey: (request.invite ?? []).map((device) => ({
      added: {
        member: { userId: group.encryptServiceId(device.device.aci), role: Proto.Member.Role.DEFAULT },
      },
    })),
    modifyMemberRoles: roles.map(([device, role]) => ({
      userId: group.encryptServiceId(device.device.aci),
      role,
    })),
    modifyAttributesAccess: request.attributesAccess
      ? { attributesAccess: accessOf(request.attributesAccess) }
      : null,
    modifyMemberAccess: request.membersAccess ? { membersAccess: accessOf(request.membersAccess) } : null,
    modifyAddFromInviteLinkAccess: request.link
      ? {
          addFromInviteLinkAccess:
            request.link.access === "anyone" ? AccessRequired.ANY : AccessRequired.ADMINISTRATOR,
        }
      : null,
    modifyInviteLinkPassword: request.link ? { inviteLinkPassword: request.link.password } : null,
    addMembersPendingAdminApproval: request.askToJoin
      ? [{ added: { presentation: (await presentationOf(editor, group)).serialize() } }]
      : [],
    promoteMembersPendingAdminApproval: (request.approve ?? []).map((device) => ({
      userId: group.encryptServiceId(device.device.aci),
      role: Proto.Member.Role.DEFAULT,
    })),
  };
  const result = await mock.server.modifyGroup({
    group: serverGroup,
    actions: actions as never,
    aciCiphertext: group.encryptServiceId(editor.device.aci),
    pniCiphertext: undefined,
  });
  if (result.conflict || !result.signedChange) {
    throw new Error(`the group change to revision ${group.revision + 1} conflicted`);
  }

  const timestamp = Date.now();
  const groupV2 = {
    masterKey: group.masterKey,
    revision: serverGroup.revision,
    groupChange: Proto.GroupChange.encode(result.signedChange),
  };
  for (const device of notify) {
    await editor.sendRaw(
      device,
      {
        content: { dataMessage: { ...EMPTY_DATA_MESSAGE, groupV2, timestamp: BigInt(timestamp) } },
        senderKeyDistributionMessage: null,
        pniSignatureMessage: null,
      } as never,
      { timestamp },
    );
  }
  return new Group({ secretParams: group.secretParams, groupState: serverGroup.state });
}
