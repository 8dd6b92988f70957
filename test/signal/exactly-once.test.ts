import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { SignalClient } from "../../src/signal/index.js";
import type { SignalStorage, StorageWrite } from "../../src/signal/storage.js";
import { EventLog, introduce, linkToPhone } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";
import { waitFor } from "../support/wait.js";

const ACCOUNT = "@alice:localhost";
let mock: MockSignalServer;
let testStore: TestStore;
let friend: PrimaryDevice;
let device: Device;
const clients: SignalClient[] = [];

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend" });
  const phone = await mock.server.createPrimaryDevice({ profileName: "Phone Owner", contacts: [friend] });
  device = await linkToPhone(mock, await testStore.store.signalStorage(ACCOUNT), phone);
  await introduce(phone, device);
  await introduce(friend, device);
});

after(async () => {
  for (const client of clients) await client.stop();
  await testStore?.close();
  await mock?.close();
});

/** The real storage, with a hook that runs right after a batch holding a buffered event commits. */
function storageWithHook(
  storage: SignalStorage,
  afterEventCommit: (writes: readonly StorageWrite[]) => void,
): SignalStorage {
  return new Proxy(storage, {
    get(target, property, receiver) {
      if (property === "commit") {
        return async (writes: readonly StorageWrite[]) => {
          await target.commit(writes);
          if (writes.some((write) => write.type === "event")) afterEventCommit(writes);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

test("a message decrypted but not acknowledged before a crash is delivered exactly once after restart", async () => {
  // First run: the connection dies right after the decrypted message is stored, before the ack.
  let armed = false;
  const crashing = storageWithHook(await testStore.store.signalStorage(ACCOUNT), () => {
    if (!armed) return;
    armed = false;
    mock.dropConnections();
  });
  const first = await SignalClient.open({
    environment: mock.environment,
    storage: crashing,
    reconnect: { minDelayMs: 60_000 },
  });
  clients.push(first);
  const firstLog = new EventLog(first);
  await first.start();
  // Arm only after the backlog (the phone's answers to the sync requests) is through.
  await firstLog.waitFor("queue-empty", () => true, "the first client to drain the server queue");
  armed = true;
  void friend.sendText(device, "survives the crash", { timestamp: 1_700_000_001_000 }).catch(() => undefined);
  await firstLog.waitFor(
    "message",
    (e) => e.message.body === "survives the crash",
    "the message in the first run",
  );
  await first.stop();

  // Restart: new database handle and client. The server redelivers the envelope it never saw acked.
  await testStore.reopen();
  let redeliveriesRecognised = 0;
  const storage = await testStore.store.signalStorage(ACCOUNT);
  const counting = new Proxy(storage, {
    get(target, property, receiver) {
      if (property === "getEvent") {
        return async (key: string) => {
          const found = await target.getEvent(key);
          if (found) redeliveriesRecognised++;
          return found;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const second = await SignalClient.open({ environment: mock.environment, storage: counting });
  clients.push(second);
  const secondLog = new EventLog(second);
  const handled: string[] = [];
  second.on("message", (event) => {
    handled.push(event.message.body);
    void second.markHandled(event.id);
  });
  await second.start();
  await secondLog.waitFor("queue-empty", () => true, "the second client to drain the server queue");
  await waitFor(() => redeliveriesRecognised > 0, {
    timeoutMs: 10_000,
    what: "the redelivered envelope to be recognised",
  });

  await friend.sendText(device, "after the restart", { timestamp: 1_700_000_001_001 });
  await secondLog.waitFor("message", (e) => e.message.body === "after the restart", "a later message");

  assert.deepEqual(
    handled.filter((body) => body === "survives the crash"),
    ["survives the crash"],
    "the crashed message is delivered exactly once after the restart",
  );
  assert.deepEqual(
    secondLog.of("decryption-error").map((e) => e.reason),
    [],
    "nothing was decrypted twice",
  );
});
