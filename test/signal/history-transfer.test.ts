// The history transfer against the mock server: a device linked with history transfer learns
// where the phone put the archive, reads it, and forgets the transfer key afterwards.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { linkDevice, SignalClient, TransferArchiveError } from "../../src/signal/index.js";
import { historyOf, offerHistory, sendHistory, uploadedFile } from "../support/history-transfer.js";
import { scanLinkUrl } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";
import { withTimeout } from "../support/wait.js";

let mock: MockSignalServer;
let testStore: TestStore;
const clients: SignalClient[] = [];

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
});

after(async () => {
  for (const client of clients) await client.stop();
  await testStore?.close();
  await mock?.close();
});

/** Links a new account of `userId` to `phone` the way the bridge does; returns the link URL shown. */
async function link(userId: string, phone: PrimaryDevice, acceptHistoryTransfer: boolean) {
  let resolveUrl!: (url: string) => void;
  const url = new Promise<string>((resolve) => (resolveUrl = resolve));
  const scanned = scanLinkUrl(mock, phone, url);
  const storage = await testStore.store.signalStorage(userId);
  await withTimeout(
    linkDevice({
      environment: mock.environment,
      storage,
      deviceName: "Matrix bridge",
      onLinkUrl: resolveUrl,
      acceptHistoryTransfer,
    }),
    30_000,
    "linking to finish",
  );
  const device: Device = await scanned;
  const client = await SignalClient.open({ environment: mock.environment, storage });
  clients.push(client);
  await client.start();
  return { url: await url, device, client, storage };
}

test("a device that takes the history says so in its link, finds the archive and reads its chats", async () => {
  const friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  const phone = await mock.server.createPrimaryDevice({ profileName: "Phone Owner", contacts: [friend] });
  offerHistory(phone);
  const { url, device, client, storage } = await link("@alice:localhost", phone, true);
  assert.match(url, /&capabilities=backup5$/);
  assert.equal(client.historyTransferOffered, true);

  const photo = randomBytes(500);
  const history = historyOf(phone);
  const friendId = history.contact({ aci: friend.device.aci, givenName: "Friend", familyName: "Contact" });
  const chat = history.chat(friendId);
  history.message(chat, { authorId: friendId, sentAt: 1_750_000_000_000, text: "old news" });
  history.message(chat, {
    authorId: history.selfId,
    sentAt: 1_750_000_060_000,
    text: "a picture",
    files: [await uploadedFile(mock, photo, "image/jpeg", "p.jpg")],
  });
  const asked = client.pollHistoryTransfer(30);
  await sendHistory(mock, phone, device, history);
  const answer = await withTimeout(asked, 20_000, "the server to name the archive");
  assert.equal(answer?.kind, "archive");
  if (answer?.kind !== "archive") return;

  const archive = await client.fetchHistory(answer.location, { messagesPerChat: 50 });
  assert.deepEqual(archive.chats.length, 1);
  assert.deepEqual(archive.chats[0]!.peer, { kind: "contact", aci: friend.device.aci });
  assert.deepEqual(
    archive.chats[0]!.items.map((item) => [item.authorAci, item.message.body]),
    [
      [friend.device.aci, "old news"],
      [phone.device.aci, "a picture"],
    ],
  );
  assert.equal(
    archive.contacts.find((contact) => contact.aci === friend.device.aci)?.profileGivenName,
    "Friend",
  );

  await client.forgetHistoryTransfer();
  assert.equal(client.historyTransferOffered, false);
  assert.equal((await storage.getAccount())?.ephemeralBackupKey, null, "the stored account forgets the key");
});

test("a phone that goes on without uploading says so; an archive for someone else is unreadable", async () => {
  const phone = await mock.server.createPrimaryDevice({ profileName: "Second Owner" });
  offerHistory(phone);
  const { device, client } = await link("@bob:localhost", phone, true);
  await mock.server.provideTransferArchive(device, { error: "CONTINUE_WITHOUT_UPLOAD" });
  assert.deepEqual(await client.pollHistoryTransfer(10), { kind: "declined" });

  const other = await mock.server.createPrimaryDevice({ profileName: "Third Owner" });
  offerHistory(other);
  const { device: otherDevice, client: otherClient } = await link("@carol:localhost", other, true);
  // Encrypted with a key the phone never gave this device.
  other.ephemeralBackupKey = randomBytes(32);
  await sendHistory(mock, other, otherDevice, historyOf(other));
  const answer = await otherClient.pollHistoryTransfer(10);
  assert.equal(answer?.kind, "archive");
  if (answer?.kind !== "archive") return;
  await assert.rejects(
    otherClient.fetchHistory(answer.location, { messagesPerChat: 50 }),
    TransferArchiveError,
  );
});

test("a device that does not take the history keeps no transfer key, even when the phone sends one", async () => {
  const phone = await mock.server.createPrimaryDevice({ profileName: "Fourth Owner" });
  offerHistory(phone);
  const { url, client } = await link("@dave:localhost", phone, false);
  assert.doesNotMatch(url, /capabilities/);
  assert.equal(client.historyTransferOffered, false);
});
