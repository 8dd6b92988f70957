import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { SignalClient } from "../../src/signal/index.js";
import { EventLog, introduce, linkToPhone } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";
import { withTimeout } from "../support/wait.js";

let mock: MockSignalServer;
let testStore: TestStore;
let friend: PrimaryDevice;
let phone: PrimaryDevice;
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
  client = await SignalClient.open({ environment: mock.environment, storage });
  log = new EventLog(client);
  await client.start();
  await log.waitFor("queue-empty", () => true, "the client to drain the server queue");
});

after(async () => {
  await client?.stop();
  await testStore?.close();
  await mock?.close();
});

test("bytes that are no envelope produce a decryption-error event and later messages still arrive", async () => {
  await withTimeout(
    mock.server.send(device, Buffer.from("definitely not a protobuf envelope \xff\xff\xff", "latin1")),
    10_000,
    "the mock to deliver the corrupted envelope",
  );
  const failure = await log.waitFor(
    "decryption-error",
    (e) => e.sender === null,
    "an event for the corrupted envelope",
  );
  await client.markHandled(failure.id);

  await friend.sendText(device, "after the garbage", { timestamp: 1_700_000_002_000 });
  await log.waitFor("message", (e) => e.message.body === "after the garbage", "the next message");
});

test("an undecryptable message produces an event and a retry request, and later messages still arrive", async () => {
  // A message encrypted for another device of the account reaches ours: its keys are not ours.
  const otherDevice = await mock.server.createSecondaryDevice(phone);
  await introduce(friend, otherDevice);
  const timestamp = 1_700_000_002_101;
  const envelope = await friend.encryptText(otherDevice, "meant for another device", { timestamp });
  await withTimeout(
    mock.server.send(device, envelope),
    10_000,
    "the mock to deliver the misdirected message",
  );

  const failure = await log.waitFor(
    "decryption-error",
    (e) => e.timestamp === timestamp,
    "an event for the misdirected message",
  );
  assert.equal(failure.sender?.aci, friend.device.aci);
  const retry = await withTimeout(
    friend.waitForDecryptionError(),
    10_000,
    "the friend to receive a retry request",
  );
  assert.equal(retry.timestamp, timestamp);
  assert.equal(retry.senderDevice, friend.device.deviceId);
  await client.markHandled(failure.id);

  await friend.sendText(device, "after the failure", { timestamp: 1_700_000_002_102 });
  await log.waitFor("message", (e) => e.message.body === "after the failure", "the next message");
  assert.equal(
    log.of("message").some((e) => e.message.body === "meant for another device"),
    false,
    "the misdirected message was not decrypted",
  );
});
