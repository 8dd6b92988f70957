import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  EMPTY_GROUP_ACTIONS,
  Group,
  Proto,
  StorageState,
  type Device,
  type PrimaryDevice,
} from "@signalapp/mock-server";
import type { AuthenticatedChatConnection } from "@signalapp/libsignal-client/dist/net.js";
import type { SignalClient } from "../../src/signal/index.js";
import { createNet } from "../../src/signal/net.js";
import type { SignalStorage } from "../../src/signal/storage.js";
import { groupChangeNotice } from "../../src/signal/groups/group-change-notice.js";
import type { SignalGroup } from "../../src/signal/groups/group-model.js";
import { GroupsClient } from "../../src/signal/groups/groups-client.js";
import { StorageServiceReader } from "../../src/signal/storage-service/storage-service-reader.js";
import { introduce, startConnectedClient, linkPhoneWithFriend } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";
import { withTimeout } from "../support/wait.js";

let mock: MockSignalServer;
let testStore: TestStore;
let storage: SignalStorage;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let chat: AuthenticatedChatConnection;
let groups: GroupsClient;
let client: SignalClient | undefined;
// The group as the friend created it, and as our device last saw it.
let mockGroup: Group;
let ours: SignalGroup;

// The linked account's chat connection without the receive pipeline, for the REST routes
// (storage and group credentials). Incoming messages are acknowledged unread so that the mock
// does not wait for them.
async function connectChat(): Promise<AuthenticatedChatConnection> {
  const account = await storage.getAccount();
  assert.ok(account, "the device is linked");
  return withTimeout(
    createNet(mock.environment).connectAuthenticatedChat(
      `${account.aci}.${account.deviceId}`,
      account.password,
      false,
      {
        onIncomingMessage: (_envelope, _timestamp, ack) => ack.send(200),
        onQueueEmpty: () => undefined,
        onConnectionInterrupted: () => undefined,
      },
    ),
    20_000,
    "the chat connection to open",
  );
}

/** The mock's current view of the group. */
async function serverView(): Promise<Group> {
  const serverGroup = await mock.server.getGroup(mockGroup.publicParams.serialize());
  assert.ok(serverGroup, "the group exists on the mock server");
  return new Group({ secretParams: mockGroup.secretParams, groupState: serverGroup.state });
}

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  ({ friend, phone, storage, device } = await linkPhoneWithFriend(mock, testStore));
  chat = await connectChat();
  const account = await storage.getAccount();
  assert.ok(account);
  groups = new GroupsClient({ environment: mock.environment, chat, aci: account.aci, pni: account.pni });
});

after(async () => {
  await client?.stop();
  await chat?.disconnect().catch(() => undefined);
  await testStore?.close();
  await mock?.close();
});

test("a group a contact created and the phone keeps in storage appears with its title and members", async () => {
  mockGroup = await friend.createGroup({ title: "Hiking club", members: [friend, phone] });
  await phone.setStorageState(StorageState.getEmpty().addGroup(mockGroup, { whitelisted: true }));
  const account = await storage.getAccount();
  assert.ok(account);

  const snapshot = await new StorageServiceReader({
    environment: mock.environment,
    chat,
    keys: account,
  }).read();
  assert.ok(snapshot, "the phone's storage has a manifest");
  assert.equal(snapshot.groups.length, 1);
  const masterKey = snapshot.groups[0]?.masterKey;
  assert.ok(masterKey);

  ours = await groups.fetchGroup(masterKey);
  assert.equal(ours.title, "Hiking club");
  assert.equal(ours.revision, 0);
  assert.equal(Buffer.from(ours.id).toString("base64"), mockGroup.id);
  assert.deepEqual(
    ours.members.map((member) => member.aci).sort(),
    [friend.device.aci, phone.device.aci].sort(),
  );
  assert.ok(ours.members.every((member) => member.role === "admin"));
  const friendMember = ours.members.find((member) => member.aci === friend.device.aci);
  assert.deepEqual(Buffer.from(friendMember?.profileKey ?? []), Buffer.from(friend.profileKey.serialize()));
  assert.equal(ours.disappearingTimerSeconds, 0);
  assert.equal(ours.avatarKey, null);
});

test("a title change by another member is followed through the group's change log", async () => {
  const before = await serverView();
  const result = await mock.server.modifyGroup({
    group: (await mock.server.getGroup(mockGroup.publicParams.serialize()))!,
    actions: {
      ...EMPTY_GROUP_ACTIONS,
      version: before.revision + 1,
      modifyTitle: { title: before.encryptBlob({ content: { title: "Hiking & climbing" } }) },
    },
    aciCiphertext: before.encryptServiceId(friend.device.aci),
    pniCiphertext: undefined,
  });
  assert.equal(result.conflict, false);

  const update = await groups.update(ours);
  assert.equal(update.group.title, "Hiking & climbing");
  assert.equal(update.group.revision, 1);
  assert.equal(update.changes.length, 1);
  assert.deepEqual(groupChangeNotice(update.changes[0]!), {
    editorAci: friend.device.aci,
    actions: [{ kind: "title", title: "Hiking & climbing" }],
  });
  ours = update.group;

  const again = await groups.update(ours);
  assert.equal(again.changes.length, 0, "nothing new after catching up");
  assert.equal(again.group.title, "Hiking & climbing");
});

test("a change carried in a group message is applied from the message when the server signed it", async () => {
  // Credentials are cached for the week, so the groups client keeps working on this connection's
  // credentials after it closes; the receive pipeline takes over the device's chat socket.
  await chat.disconnect();
  await introduce(friend, device);
  const started = await startConnectedClient(mock, storage);
  client = started.client;
  const log = started.log;

  await friend.modifyGroupDisappearingMessageTimer(await serverView(), 3600, {
    sendUpdateTo: [{ device }],
  });
  const event = await log.waitFor(
    "message",
    (candidate) => candidate.message.groupV2?.revision === 2,
    "the group update message from the friend",
  );
  const context = event.message.groupV2;
  assert.ok(context?.groupChange?.length, "the message carries the signed change");

  // A groups service that cannot be reached: the change must come from the message alone.
  const account = await storage.getAccount();
  assert.ok(account);
  const offline = new GroupsClient({
    environment: { ...mock.environment, groupsUrl: "https://127.0.0.1:9" },
    chat,
    aci: account.aci,
    pni: account.pni,
  });
  const update = await offline.applyMessageContext(ours, {
    revision: context.revision ?? 0,
    groupChange: context.groupChange,
  });
  assert.equal(update.group.disappearingTimerSeconds, 3600);
  assert.equal(update.group.revision, 2);
  assert.deepEqual(groupChangeNotice(update.changes[0]!), {
    editorAci: friend.device.aci,
    actions: [{ kind: "timer", seconds: 3600 }],
  });

  // The same change with a forged server signature is not trusted: the log is read instead.
  const signed = Proto.GroupChange.decode(new Uint8Array(context.groupChange));
  const signature = Buffer.from(signed.serverSignature ?? []);
  signature.writeUInt8(signature.readUInt8(0) ^ 0x01, 0);
  const forged = Proto.GroupChange.encode({ ...signed, serverSignature: signature });
  await assert.rejects(
    offline.applyMessageContext(ours, { revision: context.revision ?? 0, groupChange: forged }),
    "a forged change makes the client ask the groups service",
  );
  const fromLog = await groups.applyMessageContext(ours, {
    revision: context.revision ?? 0,
    groupChange: forged,
  });
  assert.deepEqual(fromLog.group, update.group);

  ours = update.group;
  await client.markHandled(event.id);
});

test("a title set from our device is what the group's members see", async () => {
  const result = await groups.modify(ours, [{ kind: "title", title: "Renamed from Matrix" }]);
  assert.equal(result.group.title, "Renamed from Matrix");
  assert.equal(result.group.revision, 3);
  assert.ok(result.signedChange.length > 0);
  assert.deepEqual(groupChangeNotice(result.changes[0]!), {
    editorAci: phone.device.aci,
    actions: [{ kind: "title", title: "Renamed from Matrix" }],
  });
  assert.equal((await serverView()).title, "Renamed from Matrix");
  ours = result.group;
});

test("an invitation by another member shows the invitee as pending", async () => {
  const stranger = await mock.server.createPrimaryDevice({ profileName: "Stranger" });
  await friend.inviteToGroup(await serverView(), stranger.device, { sendUpdateTo: [] });
  const update = await groups.update(ours);
  assert.deepEqual(
    update.group.pendingMembers.map(({ serviceId, addedByAci }) => ({ serviceId, addedByAci })),
    [{ serviceId: stranger.device.aci, addedByAci: friend.device.aci }],
  );
  assert.deepEqual(groupChangeNotice(update.changes[0]!), {
    editorAci: friend.device.aci,
    actions: [{ kind: "member-invited", serviceId: stranger.device.aci }],
  });
  ours = update.group;
});

test("the group avatar downloads from the CDN and decrypts", async () => {
  // The mock cannot change avatars through group changes, so the avatar is put into its stored
  // state directly, as if an admin had set it.
  const image = Buffer.from("not really a PNG, but bytes all the same");
  const view = await serverView();
  const cdn = mock.server as unknown as { storeAttachment(data: Buffer): Promise<string> };
  const id = await cdn.storeAttachment(view.encryptBlob({ content: { avatar: image } }));
  const serverGroup = await mock.server.getGroup(mockGroup.publicParams.serialize());
  (serverGroup!.state as { avatarUrl: string | null }).avatarUrl = `attachments/${id}`;

  const fetched = await groups.fetchGroup(ours.masterKey);
  assert.equal(fetched.avatarKey, `attachments/${id}`);
  assert.deepEqual(Buffer.from((await groups.fetchAvatar(fetched)) ?? []), image);
  assert.equal(await groups.fetchAvatar({ ...fetched, avatarKey: null }), null);
  ours = fetched;
});

test("a member removed from our device is gone from the group", async () => {
  const result = await groups.modify(ours, [{ kind: "remove-member", aci: friend.device.aci }]);
  assert.deepEqual(
    result.group.members.map((member) => member.aci),
    [phone.device.aci],
  );
  const view = await serverView();
  assert.equal(
    view.getMemberByServiceId(friend.device.aci),
    undefined,
    "the mock no longer lists the friend",
  );
  assert.ok(view.getMemberByServiceId(phone.device.aci), "we are still a member");
  const fetched = await groups.fetchGroup(ours.masterKey);
  assert.deepEqual(fetched, result.group);
  ours = result.group;
});
