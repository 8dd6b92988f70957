// Envelopes that arrive together are stored in one commit: each decrypted on the state the ones
// before it left, a failure in the middle costing only itself, a redelivery recognised.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { signalservice } from "../../src/proto/generated/signal.js";
import type { BufferedItem } from "../../src/signal/buffered-item.js";
import { EnvelopeReceiver } from "../../src/signal/envelope-receiver.js";
import type { AccountRecord, SignalStorage, StorageWrite } from "../../src/signal/index.js";
import { introduce, linkPhoneWithFriend } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";

let mock: MockSignalServer;
let testStore: TestStore;
let friend: PrimaryDevice;
let phone: PrimaryDevice;
let device: Device;
let storage: SignalStorage;
let account: AccountRecord;
/** The writes of each commit the store made, in order. */
const commits: StorageWrite[][] = [];

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  ({ friend, phone, storage, device } = await linkPhoneWithFriend(mock, testStore));
  await introduce(friend, device);
  account = (await storage.getAccount())!;
  const commit = storage.commit.bind(storage);
  storage.commit = async (writes) => {
    await commit(writes);
    commits.push([...writes]);
  };
});

after(async () => {
  await testStore?.close();
  await mock?.close();
});

function bodyOf(item: BufferedItem | null): string | undefined {
  if (item?.kind !== "content") return undefined;
  return signalservice.Content.decode(item.content).dataMessage?.body ?? undefined;
}

test("a batch of envelopes is one commit; a bad one in the middle fails alone, and a redelivery is recognised", async () => {
  const receiver = new EnvelopeReceiver(storage, account, mock.environment.serverTrustRoots);
  const sentAt = 1_700_000_100_000;
  const texts = async (from: number, count: number) => {
    const envelopes: Buffer[] = [];
    for (let i = from; i < from + count; i++) {
      envelopes.push(await friend.encryptText(device, `batch ${i}`, { timestamp: sentAt + i }));
    }
    return envelopes;
  };
  const before = await texts(0, 3);
  // Encrypted for another device of the account: not decryptable with our keys.
  const otherDevice = await mock.server.createSecondaryDevice(phone);
  await introduce(friend, otherDevice);
  const misdirected = await friend.encryptText(otherDevice, "not for us", { timestamp: sentAt + 50 });
  const garbage = Buffer.from("no envelope at all \xff\xff", "latin1");
  const afterBad = await texts(3, 3);
  const batch = [...before, misdirected, garbage, ...afterBad, before[0]!];

  commits.length = 0;
  const results = await receiver.receiveBatch(batch.map((raw) => ({ raw, receivedAt: Date.now() })));

  assert.equal(commits.length, 1, "the whole batch is stored in one commit");
  assert.deepEqual(
    results.map((r) => bodyOf(r.item) ?? r.item?.kind ?? "nothing"),
    ["batch 0", "batch 1", "batch 2", "failed", "failed", "batch 3", "batch 4", "batch 5", "nothing"],
    "each envelope's outcome, in order; the repeated first one is recognised within the batch",
  );
  assert.equal(results[4]!.item?.kind === "failed" && results[4]!.item.sender, null);
  assert.ok(results[3]!.retry, "the misdirected message's sender is asked to resend");
  const written = commits[0]!;
  assert.equal(written.filter((w) => w.type === "event").length, 8, "one buffered event per new envelope");
  assert.equal(
    written.filter((w) => w.type === "session").length,
    1,
    "the friend's session is written once, as the last envelope left it",
  );

  const keys = new Set(results.map((result) => result.key));
  // (Linking left events of its own in the buffer.)
  const pending = (await storage.listPendingEvents()).filter((event) => keys.has(event.key));
  assert.deepEqual(
    pending.map((event) => event.key),
    results.slice(0, 8).map((result) => result.key),
    "the buffered events keep the arrival order",
  );

  commits.length = 0;
  const again = await receiver.receiveBatch(afterBad.map((raw) => ({ raw, receivedAt: Date.now() })));
  assert.deepEqual(
    again.map((r) => r.item),
    [null, null, null],
    "a redelivered batch is not decrypted again",
  );
  assert.equal(commits.length, 0, "nothing new to store");

  // The session the batch stored is the one the friend's next message needs.
  const [next] = await receiver.receiveBatch([{ raw: (await texts(6, 1))[0]!, receivedAt: Date.now() }]);
  assert.equal(bodyOf(next!.item), "batch 6");
});
