import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import type { UnauthenticatedChatConnection } from "@signalapp/libsignal-client/dist/net.js";
import { ServiceRequestError } from "../../src/signal/errors.js";
import { SignalClient } from "../../src/signal/index.js";
import { createNet } from "../../src/signal/net.js";
import { downloadProfileAvatar } from "../../src/signal/profiles/profile-avatar.js";
import { ProfileCache } from "../../src/signal/profiles/profile-cache.js";
import { fetchProfile, ProfileNotFoundError } from "../../src/signal/profiles/profile-fetch.js";
import type { AccountRecord, SignalStorage } from "../../src/signal/storage.js";
import { EventLog, introduce, linkPhoneWithFriend } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";
import { encryptProfileField } from "../unit/signal/profiles/profile-test-crypto.js";

let mock: MockSignalServer;
let testStore: TestStore;
let storage: SignalStorage;
let account: AccountRecord;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let client: SignalClient;
let log: EventLog;
let unauthenticated: UnauthenticatedChatConnection;

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  ({ friend, phone, storage, device } = await linkPhoneWithFriend(mock, testStore));
  await introduce(phone, device);
  await introduce(friend, device);
  const stored = await storage.getAccount();
  assert.ok(stored);
  account = stored;
  client = await SignalClient.open({ environment: mock.environment, storage });
  log = new EventLog(client);
  await client.start();
  // Profiles are fetched without revealing who asks: unauthenticated, with the access key.
  unauthenticated = await createNet(mock.environment).connectUnauthenticatedChat({
    onConnectionInterrupted: () => undefined,
  });
});

after(async () => {
  await unauthenticated?.disconnect().catch(() => undefined);
  await client?.stop();
  await testStore?.close();
  await mock?.close();
});

test("the phone owner's profile name decrypts with the profile key from linking", async () => {
  assert.ok(account.profileKey, "linking delivered our profile key");
  const profile = await fetchProfile(unauthenticated, account.aci, account.profileKey, {
    unidentified: true,
  });
  assert.equal(profile.givenName, "Phone Owner");
  assert.equal(profile.familyName, null);
  assert.equal(profile.sealedSender, "enabled", "the access key from our profile key is the server's");
  assert.equal(profile.identityKey.length, 33);
});

test("a contact's profile name set on the mock decrypts once their profile key arrived", async () => {
  await friend.sendText(device, "hi, here is my profile", { withProfileKey: true });
  const event = await log.waitFor(
    "message",
    (e) => e.message.body === "hi, here is my profile",
    "the message with the profile key",
  );
  const profileKey = event.message.profileKey;
  assert.equal(profileKey?.length, 32, "the message carries the contact's profile key");
  await client.markHandled(event.id);
  // Remember the key as the receiving side does with a message's profile key.
  const known = await storage.getRecipient(friend.device.aci);
  await storage.commit([
    {
      type: "recipient",
      recipient: {
        aci: friend.device.aci,
        pni: known?.pni ?? null,
        number: known?.number ?? null,
        contactName: known?.contactName ?? null,
        profileName: known?.profileName ?? null,
        profileKey,
      },
    },
  ]);
  // The contact sets a given and a family name, padded as Signal apps do.
  friend.device.profileName = Buffer.from(encryptProfileField(profileKey, "Ada\0Lovelace", 53), "base64");

  const cache = new ProfileCache({ storage, connection: async () => unauthenticated, unidentified: true });
  const profile = await cache.get(friend.device.aci);

  assert.equal(profile?.givenName, "Ada");
  assert.equal(profile?.familyName, "Lovelace");
  assert.equal((await storage.getRecipient(friend.device.aci))?.profileName, "Ada Lovelace");
});

test("a profile key that is not the contact's is refused by the server", async () => {
  await assert.rejects(
    fetchProfile(unauthenticated, friend.device.aci, randomBytes(32), { unidentified: true }),
    (error) => error instanceof ServiceRequestError && error.status === 401,
  );
});

test("an account the server does not know is a ProfileNotFoundError", async () => {
  await assert.rejects(
    fetchProfile(unauthenticated, randomUUID(), randomBytes(32), { unidentified: true }),
    ProfileNotFoundError,
  );
});

test("a profile avatar downloads from the CDN and decrypts with the profile key", async () => {
  const profileKey = randomBytes(32);
  const image = randomBytes(20_000);
  const name = randomUUID();
  await mock.server.storeAttachmentOnCdn(
    3,
    name,
    new Uint8Array(Buffer.from(encryptProfileField(profileKey, image), "base64")),
  );
  // The mock serves no profile avatars; its CDN 3 file route stands in for CDN 0 here.
  const environment = {
    ...mock.environment,
    cdnUrls: { ...mock.environment.cdnUrls, 0: `${mock.url}/cdn3` },
  };

  const avatar = await downloadProfileAvatar(environment, `attachments/${name}`, profileKey);

  assert.ok(Buffer.from(avatar).equals(image));
  await assert.rejects(downloadProfileAvatar(environment, `attachments/${name}`, randomBytes(32)), /avatar/);
});
