import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { GroupMasterKey, GroupSecretParams } from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import { EnvelopeType, type Group, type PrimaryDevice } from "@signalapp/mock-server";
import {
  sendDataMessage,
  sendDelete,
  sendEdit,
  sendReaction,
  sendTyping,
  SignalClient,
  textMessage,
  type AccountRecord,
  type Destination,
  type SignalStorage,
} from "../../src/signal/index.js";
import { EventLog, introduce, linkToPhone, startConnectedClient } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";
import { withTimeout } from "../support/wait.js";

const WAIT_MS = 20_000;

let mock: MockSignalServer;
let testStore: TestStore;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let carol: PrimaryDevice;
let typist: PrimaryDevice;
let group: Group;
let storage: SignalStorage;
let account: AccountRecord;
let client: SignalClient;
let typistClient: SignalClient;
let typistLog: EventLog;
let timestamp = 1_700_000_200_000;

const nextTimestamp = (): number => ++timestamp;

function toGroup(members: readonly PrimaryDevice[] = [phone, friend, carol, typist]): Destination {
  return {
    kind: "group",
    masterKey: group.masterKey,
    revision: group.toContext().revision ?? 0,
    memberAcis: members.map((member) => member.device.aci),
  };
}

function nextMessageOf(contact: PrimaryDevice, what: string) {
  return withTimeout(contact.waitForMessage(), WAIT_MS, what);
}

async function groupKey(): Promise<string> {
  const params = GroupSecretParams.deriveFromMasterKey(new GroupMasterKey(new Uint8Array(group.masterKey)));
  return Buffer.from(params.getPublicParams().getGroupIdentifier().serialize()).toString("base64");
}

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend" });
  carol = await mock.server.createPrimaryDevice({ profileName: "Carol" });
  typist = await mock.server.createPrimaryDevice({ profileName: "Typist" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Phone Owner", contacts: [friend] });
  storage = await testStore.store.signalStorage("@alice:localhost");
  const device = await linkToPhone(mock, storage, phone);
  await introduce(phone, device);
  const stored = await storage.getAccount();
  assert.ok(stored);
  account = stored;
  client = await SignalClient.open({ environment: mock.environment, storage });
  const log = new EventLog(client);
  await client.start();
  await log.waitFor("connection-state", (e) => e.state === "connected", "the client to connect");

  // A second client linked to the typist's account shows what the simulated phones drop (typing).
  const typistStorage = await testStore.store.signalStorage("@typist:localhost");
  await linkToPhone(mock, typistStorage, typist);
  ({ client: typistClient, log: typistLog } = await startConnectedClient(
    mock,
    typistStorage,
    "the typist's client to connect",
  ));

  group = await phone.createGroup({ title: "Book club", members: [phone, friend, carol, typist] });
});

after(async () => {
  await client?.stop();
  await typistClient?.stop();
  await testStore?.close();
  await mock?.close();
});

test("three contacts get one sender-key message; the phone gets the transcript", async () => {
  const sentAt = nextTimestamp();
  const result = await sendDataMessage(client, toGroup(), textMessage("hello book club"), sentAt);
  assert.deepEqual(result.failed, []);

  for (const [member, name] of [
    [friend, "friend"],
    [carol, "carol"],
    [typist, "typist"],
  ] as const) {
    const entry = await nextMessageOf(member, `${name} to get the group message`);
    assert.equal(entry.envelopeType, EnvelopeType.SenderKey, `${name} got it encrypted with our sender key`);
    assert.equal(entry.source.aci, account.aci);
    assert.equal(entry.dataMessage.body, "hello book club");
    assert.deepEqual(Buffer.from(entry.dataMessage.groupV2?.masterKey ?? []), group.masterKey);
  }
  const onTypistsClient = await typistLog.waitFor(
    "message",
    (e) => e.timestamp === sentAt,
    "the typist's linked device to get the group message",
  );
  assert.deepEqual(Buffer.from(onTypistsClient.groupMasterKey ?? []), group.masterKey);
  await typistClient.markHandled(onTypistsClient.id);

  const { syncMessage } = await withTimeout(
    phone.waitForSyncMessage((entry) => Number(entry.syncMessage.content?.sent?.timestamp) === sentAt),
    WAIT_MS,
    "the phone to get the transcript",
  );
  const sent = syncMessage.content?.sent;
  assert.equal(sent?.message?.body, "hello book club");
  assert.deepEqual(Buffer.from(sent?.message?.groupV2?.masterKey ?? []), group.masterKey);
  assert.deepEqual(
    sent?.unidentifiedStatus?.map((s) => s.unidentified),
    [true, true, true],
    "the transcript lists all three as reached sealed",
  );

  const distribution = await storage.getSenderKeyDistribution(await groupKey());
  assert.deepEqual(
    distribution?.sharedWith.map((h) => `${h.serviceId}.${h.deviceId}`).sort(),
    [
      `${friend.device.aci}.1`,
      `${carol.device.aci}.1`,
      `${typist.device.aci}.1`,
      `${typist.device.aci}.2`,
    ].sort(),
    "every member device holds our sender key",
  );
});

test("reactions, edits, deletes and typing reach the group", async () => {
  const originalAt = nextTimestamp();
  await sendDataMessage(client, toGroup(), textMessage("meeting at 5"), originalAt);
  for (const member of [friend, carol, typist]) await nextMessageOf(member, "the original");

  await sendReaction(
    client,
    toGroup(),
    { emoji: "❤️", targetAuthorAci: friend.device.aci, targetSentTimestamp: 1_700_000_000_123 },
    nextTimestamp(),
  );
  await sendEdit(client, toGroup(), originalAt, textMessage("meeting at 6"), nextTimestamp());
  await sendDelete(client, toGroup(), originalAt, nextTimestamp());

  for (const [member, name] of [
    [friend, "friend"],
    [carol, "carol"],
    [typist, "typist"],
  ] as const) {
    const reaction = await nextMessageOf(member, `${name} to get the reaction`);
    assert.equal(reaction.dataMessage.reaction?.emoji, "❤️");
    assert.deepEqual(Buffer.from(reaction.dataMessage.groupV2?.masterKey ?? []), group.masterKey);
    const edit = await withTimeout(member.waitForEditMessage(), WAIT_MS, `${name} to get the edit`);
    assert.equal(Number(edit.editMessage.targetSentTimestamp), originalAt);
    assert.equal(edit.editMessage.dataMessage?.body, "meeting at 6");
    const deletion = await nextMessageOf(member, `${name} to get the delete`);
    assert.equal(Number(deletion.dataMessage.delete?.targetSentTimestamp), originalAt);
  }

  const typingAt = nextTimestamp();
  await sendTyping(client, toGroup(), "started", typingAt);
  const typing = await typistLog.waitFor(
    "typing",
    (e) => e.timestamp === typingAt,
    "the typist's device to show us typing in the group",
  );
  assert.equal(typing.action, "started");
  assert.ok(typing.groupId, "the typing indicator names the group");
  await typistClient.markHandled(typing.id);
});

test("a member's new device gets the sender key and the message (409)", async () => {
  await mock.server.createSecondaryDevice(carol);
  const sentAt = nextTimestamp();
  const result = await sendDataMessage(client, toGroup(), textMessage("carol has a tablet"), sentAt);
  assert.deepEqual(result.failed, []);
  for (const member of [friend, carol, typist]) {
    const entry = await nextMessageOf(member, "the message after carol added a device");
    assert.equal(entry.dataMessage.body, "carol has a tablet");
  }
  const distribution = await storage.getSenderKeyDistribution(await groupKey());
  assert.ok(
    distribution?.sharedWith.some((h) => h.serviceId === carol.device.aci && h.deviceId === 2),
    "carol's new device holds our sender key",
  );
});

test("when a member leaves, the sender key is replaced and the others still read along", async () => {
  const key = await groupKey();
  const before = await storage.getSenderKeyDistribution(key);
  await sendDataMessage(client, toGroup([phone, friend, typist]), textMessage("carol left"), nextTimestamp());
  for (const member of [friend, typist]) {
    const entry = await nextMessageOf(member, "the message after carol left");
    assert.equal(entry.dataMessage.body, "carol left");
    assert.equal(entry.envelopeType, EnvelopeType.SenderKey);
  }
  const afterLeaving = await storage.getSenderKeyDistribution(key);
  assert.notEqual(afterLeaving?.distributionId, before?.distributionId, "a new sender key");
  assert.ok(
    !afterLeaving?.sharedWith.some((h) => h.serviceId === carol.device.aci),
    "carol lacks the new key",
  );
});

test("members the server cannot endorse get the message one by one", async () => {
  // Someone the server does not list as a member: no endorsement covers them, so no
  // multi-recipient send can be authorized and every recipient gets a 1:1 message instead.
  const outsider = await mock.server.createPrimaryDevice({ profileName: "Outsider" });
  const sentAt = nextTimestamp();
  const result = await sendDataMessage(
    client,
    toGroup([phone, friend, typist, outsider]),
    textMessage("one by one"),
    sentAt,
  );
  assert.deepEqual(result.failed, []);
  for (const member of [friend, typist, outsider]) {
    const entry = await nextMessageOf(member, "the 1:1 fallback message");
    assert.equal(entry.dataMessage.body, "one by one");
    assert.notEqual(entry.envelopeType, EnvelopeType.SenderKey);
    assert.deepEqual(Buffer.from(entry.dataMessage.groupV2?.masterKey ?? []), group.masterKey);
  }
});
