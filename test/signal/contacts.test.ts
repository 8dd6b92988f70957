import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import type { PrimaryDevice } from "@signalapp/mock-server";
import { AttachmentCorruptError } from "../../src/signal/attachments/attachment-errors.js";
import { syncContacts } from "../../src/signal/contacts/contact-sync.js";
import { SignalClient } from "../../src/signal/index.js";
import type { SignalStorage } from "../../src/signal/storage.js";
import { EventLog, introduce, linkToPhone } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";

let mock: MockSignalServer;
let testStore: TestStore;
let storage: SignalStorage;
let phone: PrimaryDevice;
let friends: PrimaryDevice[];
let client: SignalClient;
let log: EventLog;

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  friends = [
    await mock.server.createPrimaryDevice({ profileName: "Ada Lovelace" }),
    await mock.server.createPrimaryDevice({ profileName: "Grace Hopper" }),
    await mock.server.createPrimaryDevice({ profileName: "Alan Turing" }),
  ];
  phone = await mock.server.createPrimaryDevice({ profileName: "Phone Owner", contacts: friends });
  storage = await testStore.store.signalStorage("@alice:localhost");
  const device = await linkToPhone(mock, storage, phone);
  await introduce(phone, device);
  client = await SignalClient.open({ environment: mock.environment, storage });
  log = new EventLog(client);
  await client.start();
});

after(async () => {
  await client?.stop();
  await testStore?.close();
  await mock?.close();
});

test("after linking, the contact list equals the phone's contacts and the recipients are stored", async () => {
  const event = await log.waitFor("contacts-sync", () => true, "the phone's contact sync");

  const contacts = await syncContacts({ environment: mock.environment, storage, blob: event.blob });

  assert.deepEqual(
    contacts.map(({ aci, number, name }) => ({ aci, number, name })),
    friends.map((friend) => ({
      aci: friend.device.aci,
      number: friend.device.number ?? null,
      name: friend.profileName,
    })),
  );
  for (const friend of friends) {
    const recipient = await storage.getRecipient(friend.device.aci);
    assert.equal(recipient?.contactName, friend.profileName, "the stored recipient has the phone's name");
    assert.equal(recipient?.number, friend.device.number);
  }
  await client.markHandled(event.id);
});

test("a repeated contact sync keeps what is known about a recipient and takes the phone's new data", async () => {
  const [ada] = friends;
  assert.ok(ada);
  const before = await storage.getRecipient(ada.device.aci);
  assert.ok(before);
  const profileKey = new Uint8Array(32).fill(7);
  await storage.commit([
    {
      type: "recipient",
      recipient: { ...before, profileName: "Ada (profile)", profileKey, contactName: "old" },
    },
  ]);
  const event = log.of("contacts-sync")[0];
  assert.ok(event);

  await syncContacts({ environment: mock.environment, storage, blob: event.blob });

  const after = await storage.getRecipient(ada.device.aci);
  assert.equal(after?.contactName, ada.profileName, "the phone's contact name wins");
  assert.equal(after?.profileName, "Ada (profile)", "the profile name is kept");
  assert.deepEqual(after?.profileKey, profileKey, "a profile key the list lacks is kept");
});

test("a contact list that fails verification is rejected and changes no recipient", async () => {
  const event = log.of("contacts-sync")[0];
  assert.ok(event);
  const [grace] = friends.slice(1);
  assert.ok(grace);
  const before = await storage.getRecipient(grace.device.aci);
  assert.ok(before);
  await storage.commit([{ type: "recipient", recipient: { ...before, contactName: "Renamed locally" } }]);

  await assert.rejects(
    syncContacts({
      environment: mock.environment,
      storage,
      blob: { ...event.blob, digest: randomBytes(32) },
    }),
    AttachmentCorruptError,
  );

  assert.equal((await storage.getRecipient(grace.device.aci))?.contactName, "Renamed locally");
});
