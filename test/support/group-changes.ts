/**
 * Group changes made by a member on the mock Signal server, and the group update message Signal
 * apps send the other members about them (a data message whose `groupV2` carries the server-signed
 * change), as in the mock's own PrimaryDevice#modifyGroup.
 *
 * The mock's groups service applies titles, timers, invitations and removals itself; it leaves out
 * descriptions, avatars, added members and role changes. Those are added to the change it made
 * and signed again with its server key, as the real groups service would sign them, so clients
 * see one signed change in the log and in the message either way.
 */
import { Aci } from "@signalapp/libsignal-client";
import {
  ClientZkGroupCipher,
  type ServerSecretParams,
} from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import {
  type Device,
  EMPTY_DATA_MESSAGE,
  EMPTY_GROUP_ACTIONS,
  Group,
  type PrimaryDevice,
  Proto,
} from "@signalapp/mock-server";
import type { MockSignalServer } from "./mock-signal-server.js";

export interface GroupChangeRequest {
  title?: string;
  description?: string;
  /** Image bytes: stored (encrypted with the group's key) on the mock's CDN 0. */
  avatar?: Buffer;
  /** New members, with their profile keys, as plain members. */
  add?: PrimaryDevice[];
  /** Members made admins. */
  promote?: PrimaryDevice[];
  remove?: PrimaryDevice[];
}

type ServerGroup = NonNullable<Awaited<ReturnType<MockSignalServer["server"]["getGroup"]>>>;
type SignedChange = Proto.GroupChange.Params;

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
  const serverGroup = await mock.server.getGroup(group.publicParams.serialize());
  if (!serverGroup) throw new Error(`the mock server has no group ${group.id}`);
  const result = await mock.server.modifyGroup({
    group: serverGroup,
    actions: {
      ...EMPTY_GROUP_ACTIONS,
      version: group.revision + 1,
      modifyTitle: request.title ? { title: group.encryptBlob({ content: { title: request.title } }) } : null,
      deleteMembers: (request.remove ?? []).map((member) => ({
        deletedUserId: group.encryptServiceId(member.device.aci),
      })),
    },
    aciCiphertext: group.encryptServiceId(editor.device.aci),
    pniCiphertext: undefined,
  });
  if (result.conflict) throw new Error(`the group change to revision ${group.revision + 1} conflicted`);
  const signed = await completeChange(mock, serverGroup, group, request, result.signedChange);

  const timestamp = Date.now();
  const groupV2 = {
    masterKey: group.masterKey,
    revision: serverGroup.revision,
    groupChange: Proto.GroupChange.encode(signed),
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

/** Adds what the mock leaves out to the change it just logged, and signs the result again. */
async function completeChange(
  mock: MockSignalServer,
  serverGroup: ServerGroup,
  group: Group,
  request: GroupChangeRequest,
  signed: SignedChange,
): Promise<SignedChange> {
  if (!request.description && !request.avatar && !request.add?.length && !request.promote?.length) {
    return signed;
  }
  const entry = serverGroup.changes.groupChanges?.at(-1) as
    { groupChange: SignedChange; groupState: Proto.Group.Params } | undefined;
  if (!entry?.groupChange?.actions) throw new Error("the mock logged no change to complete");
  const actions = Proto.GroupChange.Actions.decode(new Uint8Array(entry.groupChange.actions));
  const state = entry.groupState as { -readonly [K in keyof Proto.Group.Params]: Proto.Group.Params[K] };
  const cipher = new ClientZkGroupCipher(group.secretParams);

  if (request.description) {
    const description = group.encryptBlob({ content: { descriptionText: request.description } });
    actions.modifyDescription = { description } as never;
    state.description = description;
  }
  if (request.avatar) {
    const cdn = mock.server as unknown as { storeAttachment(data: Buffer): Promise<string> };
    const avatar = `attachments/${await cdn.storeAttachment(group.encryptBlob({ content: { avatar: new Uint8Array(request.avatar) } }))}`;
    actions.modifyAvatar = { avatar } as never;
    state.avatarUrl = avatar;
  }
  for (const device of request.add ?? []) {
    const member = {
      role: Proto.Member.Role.DEFAULT,
      userId: group.encryptServiceId(device.device.aci),
      profileKey: cipher
        .encryptProfileKey(device.profileKey, Aci.parseFromServiceIdString(device.device.aci))
        .serialize(),
      presentation: null,
      joinedAtVersion: actions.version,
      labelEmoji: null,
      labelString: null,
    };
    actions.addMembers.push({ added: member, joinFromInviteLink: false } as never);
    state.members = [...(state.members ?? []), member];
  }
  for (const device of request.promote ?? []) {
    const userId = group.encryptServiceId(device.device.aci);
    actions.modifyMemberRoles.push({ userId, role: Proto.Member.Role.ADMINISTRATOR } as never);
    state.members = (state.members ?? []).map((member) =>
      member.userId && Buffer.from(member.userId).equals(userId)
        ? { ...member, role: Proto.Member.Role.ADMINISTRATOR }
        : member,
    );
  }

  const encoded = Proto.GroupChange.Actions.encode(actions as never);
  const zkSecret = (serverGroup as unknown as { zkSecret: ServerSecretParams }).zkSecret;
  entry.groupChange = { ...entry.groupChange, actions: encoded };
  return { ...signed, actions: encoded, serverSignature: zkSecret.sign(Buffer.from(encoded)).serialize() };
}
