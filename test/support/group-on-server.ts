/**
 * A Signal group as the mock's groups service holds it now, decrypted with the group's key the
 * way a member's app would (with libsignal and the mock's own types, not the bridge's code).
 */
import { ClientZkGroupCipher, UuidCiphertext } from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import { Group, Proto } from "@signalapp/mock-server";
import type { MockSignalServer } from "./mock-signal-server.js";

export interface GroupOnServer {
  /** The mock's client-side view, for changes made by simulated members. */
  group: Group;
  revision: number;
  title: string;
  description: string;
  timerSeconds: number;
  avatarKey: string | null;
  members: Array<{ aci: string; admin: boolean }>;
  /** Service ids of invited members (ACI, or `PNI:` ...). */
  invited: string[];
  /** ACIs of those who asked to join through the group link. */
  requesting: string[];
  access: { attributes: number; members: number; addFromInviteLink: number };
  announcementsOnly: boolean;
}

export async function groupOnServer(mock: MockSignalServer, group: Group): Promise<GroupOnServer> {
  const serverGroup = await mock.server.getGroup(group.publicParams.serialize());
  if (!serverGroup) throw new Error(`the mock server has no group ${group.id}`);
  const state = serverGroup.state;
  const cipher = new ClientZkGroupCipher(group.secretParams);
  const blob = (ciphertext: Uint8Array | null | undefined) =>
    ciphertext?.length
      ? Proto.GroupAttributeBlob.decode(new Uint8Array(cipher.decryptBlob(new Uint8Array(ciphertext))))
      : undefined;
  const serviceId = (ciphertext: Uint8Array | null | undefined) =>
    cipher.decryptServiceId(new UuidCiphertext(new Uint8Array(ciphertext ?? []))).getServiceIdString();
  return {
    group: new Group({ secretParams: group.secretParams, groupState: state }),
    revision: state.version ?? 0,
    title: blob(state.title)?.content?.title ?? "",
    description: blob(state.description)?.content?.descriptionText ?? "",
    timerSeconds: blob(state.disappearingMessagesTimer)?.content?.disappearingMessagesDuration ?? 0,
    avatarKey: state.avatarUrl || null,
    members: (state.members ?? []).map((member) => ({
      aci: serviceId(member.userId),
      admin: member.role === Proto.Member.Role.ADMINISTRATOR,
    })),
    invited: (state.membersPendingProfileKey ?? []).map((pending) => serviceId(pending.member?.userId)),
    requesting: (state.membersPendingAdminApproval ?? []).map((requesting) => serviceId(requesting.userId)),
    access: {
      attributes: state.accessControl?.attributes ?? 0,
      members: state.accessControl?.members ?? 0,
      addFromInviteLink: state.accessControl?.addFromInviteLink ?? 0,
    },
    announcementsOnly: state.announcementsOnly ?? false,
  };
}
