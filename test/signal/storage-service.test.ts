import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { StorageState, type PrimaryDevice } from "@signalapp/mock-server";
import type { AuthenticatedChatConnection } from "@signalapp/libsignal-client/dist/net.js";
import { createNet } from "../../src/signal/net.js";
import type { SignalStorage } from "../../src/signal/storage.js";
import { StorageServiceReader } from "../../src/signal/storage-service/storage-service-reader.js";
import { linkToPhone } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";
import { withTimeout } from "../support/wait.js";

let mock: MockSignalServer;
let testStore: TestStore;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let chat: AuthenticatedChatConnection;
let reader: StorageServiceReader;

// The linked account's chat connection without the receive pipeline: these tests only need the
// REST routes (storage credentials). Incoming messages (the phone's sync replies) are acknowledged
// unread so that the mock does not wait for them.
async function connectChat(storage: SignalStorage): Promise<AuthenticatedChatConnection> {
  const account = await storage.getAccount();
  assert.ok(account, "the device is linked");
  const net = createNet(mock.environment);
  return withTimeout(
    net.connectAuthenticatedChat(`${account.aci}.${account.deviceId}`, account.password, false, {
      onIncomingMessage: (_envelope, _timestamp, ack) => ack.send(200),
      onQueueEmpty: () => undefined,
      onConnectionInterrupted: () => undefined,
    }),
    20_000,
    "the chat connection to open",
  );
}

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Phone Owner", contacts: [friend] });
  const storage = await testStore.store.signalStorage("@alice:localhost");
  await linkToPhone(mock, storage, phone);
  chat = await connectChat(storage);
  const account = await storage.getAccount();
  assert.ok(account);
  reader = new StorageServiceReader({ environment: mock.environment, chat, keys: account });
});

after(async () => {
  await chat?.disconnect().catch(() => undefined);
  await testStore?.close();
  await mock?.close();
});

test("an account that never wrote its storage reads as empty", async () => {
  assert.equal(await reader.read(), null);
});

test("contact, group and account records decrypt with the keys the phone shared when linking", async () => {
  const group = await phone.createGroup({ title: "Storage group", members: [phone, friend] });
  await phone.setStorageState(
    StorageState.getEmpty()
      .updateAccount({
        givenName: "Phone",
        familyName: "Owner",
        readReceipts: true,
        universalExpireTimer: 3600,
      })
      .addContact(friend, {
        whitelisted: true,
        systemGivenName: "Best",
        systemFamilyName: "Friend",
        pniBinary: friend.device.pniRawUuid,
        profileKey: friend.profileKey.serialize(),
      })
      .addGroup(group, { whitelisted: true }),
  );

  const snapshot = await reader.read();
  assert.ok(snapshot, "the storage service has a manifest");
  assert.equal(snapshot.account?.givenName, "Phone");
  assert.equal(snapshot.account?.familyName, "Owner");
  assert.equal(snapshot.account?.readReceipts, true);
  assert.equal(snapshot.account?.universalExpireTimerSeconds, 3600);

  const contact = snapshot.contacts.find((entry) => entry.aci === friend.device.aci);
  assert.ok(contact, "the friend is among the contacts");
  assert.equal(contact.systemGivenName, "Best");
  assert.equal(contact.systemFamilyName, "Friend");
  assert.equal(contact.whitelisted, true);
  assert.equal(contact.e164, friend.device.number);
  assert.equal(contact.pni, (friend.device.pni ?? "").replace(/^PNI:/, ""));
  assert.deepEqual(Buffer.from(contact.profileKey ?? []), Buffer.from(friend.profileKey.serialize()));

  assert.equal(snapshot.groups.length, 1);
  assert.deepEqual(Buffer.from(snapshot.groups[0]?.masterKey ?? []), Buffer.from(group.masterKey));
  assert.equal(snapshot.groups[0]?.whitelisted, true);
});

test("a newer manifest is read after the phone changes its storage, and only then", async () => {
  const before = reader.version;
  assert.notEqual(before, null);
  assert.equal(await reader.readIfChanged(), null, "nothing changed yet");

  const state = await phone.expectStorageState("the previous test wrote it");
  await phone.setStorageState(state.updateContact(friend, { systemGivenName: "Renamed" }), state);

  const snapshot = await reader.readIfChanged();
  assert.ok(snapshot, "the change is seen");
  assert.ok(snapshot.version > (before ?? 0));
  const contact = snapshot.contacts.find((entry) => entry.aci === friend.device.aci);
  assert.equal(contact?.systemGivenName, "Renamed");
  assert.equal(snapshot.groups.length, 1, "records that did not change are still there");
  assert.equal(snapshot.account?.givenName, "Phone");
});
