import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { SignalClient } from "../../src/signal/index.js";
import { EventLog, introduce, linkToPhone, startConnectedClient } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";
import { withTimeout } from "../support/wait.js";

let mock: MockSignalServer;
let testStore: TestStore;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let client: SignalClient;
let log: EventLog;

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Phone Owner", contacts: [friend] });
  const storage = await testStore.store.signalStorage("@alice:localhost");
  device = await linkToPhone(mock, storage, phone);
  await introduce(phone, device);
  await introduce(friend, device);
  ({ client: client, log: log } = await startConnectedClient(mock, storage, "the client to connect"));
});

after(async () => {
  await client?.stop();
  await testStore?.close();
  await mock?.close();
});

test("a 1:1 text from a contact arrives as a message event", async () => {
  await friend.sendText(device, "hello from friend", { timestamp: 1_700_000_000_001 });
  const event = await log.waitFor(
    "message",
    (e) => e.message.body === "hello from friend",
    "the unsealed text",
  );
  assert.equal(event.sender.aci, friend.device.aci);
  assert.equal(event.timestamp, 1_700_000_000_001);
  assert.equal(event.sealed, false);
  assert.equal(event.groupMasterKey, null);
  await client.markHandled(event.id);
});

test("a sealed-sender text reveals its sender", async () => {
  await friend.sendText(device, "sealed hello", { sealed: true, timestamp: 1_700_000_000_002 });
  const event = await log.waitFor("message", (e) => e.message.body === "sealed hello", "the sealed text");
  assert.equal(event.sender.aci, friend.device.aci);
  assert.equal(event.sealed, true);
  await client.markHandled(event.id);
});

test("a message the phone sent arrives as a sync transcript", async () => {
  const timestamp = 1_700_000_000_003;
  const envelope = await phone.encryptSyncSent(device, "sent from the phone", {
    timestamp,
    destinationServiceId: friend.device.aci,
  });
  await withTimeout(mock.server.send(device, envelope), 10_000, "the mock to deliver the transcript");
  const event = await log.waitFor(
    "sync-sent",
    (e) => e.sent.message?.body === "sent from the phone",
    "the transcript",
  );
  assert.equal(event.sender.aci, phone.device.aci);
  assert.equal(event.destinationServiceId, friend.device.aci);
  assert.equal(Number(event.sent.timestamp), timestamp);
  await client.markHandled(event.id);
});

test("a sender-key group message is decrypted after the sender key arrives", async () => {
  const group = await phone.createGroup({ title: "Test group", members: [phone, friend] });
  const distributionId = await friend.sendSenderKey(device, { timestamp: 1_700_000_000_004 });
  await friend.sendText(device, "hello group", {
    sealed: true,
    group,
    distributionId,
    timestamp: 1_700_000_000_005,
  });
  const event = await log.waitFor("message", (e) => e.message.body === "hello group", "the group message");
  assert.equal(event.sender.aci, friend.device.aci);
  assert.deepEqual(Buffer.from(event.groupMasterKey ?? []), Buffer.from(group.masterKey));
  await client.markHandled(event.id);
  assert.equal(log.of("decryption-error").length, 0, "no envelope failed to decrypt");
});
