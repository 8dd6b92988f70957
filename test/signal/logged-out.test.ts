import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { SignalClient } from "../../src/signal/index.js";
import { EventLog, linkToPhone } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";

let mock: MockSignalServer;
let testStore: TestStore;
let phone: PrimaryDevice;
let device: Device;
let client: SignalClient;

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  phone = await mock.server.createPrimaryDevice({ profileName: "Phone Owner" });
  const storage = await testStore.store.signalStorage("@alice:localhost");
  device = await linkToPhone(mock, storage, phone);
  client = await SignalClient.open({
    environment: mock.environment,
    storage,
    reconnect: { minDelayMs: 50, maxDelayMs: 200 },
  });
});

after(async () => {
  await client?.stop();
  await testStore?.close();
  await mock?.close();
});

test("unlinking the device on the phone produces a logged-out event and no reconnect loop", async () => {
  const log = new EventLog(client);
  await client.start();
  // Connected and caught up: the phone's answers to the sync requests that missed the linking
  // connection come now, and unlinkDevice lets their acknowledgements reach the mock first.
  await log.waitFor("queue-empty", () => true, "the client to drain the server queue");

  await mock.unlinkDevice(phone, device);
  const loggedOut = await log.waitFor("logged-out", () => true, "a logged-out event after the unlink");
  assert.ok(loggedOut.reason.length > 0);
  assert.equal(client.connectionState, "logged-out");

  // Several reconnect delays later nothing has tried to connect again.
  const statesAfter = log.events.length;
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  assert.deepEqual(
    log.events.slice(statesAfter).filter((e) => e.type === "connection-state"),
    [],
    "the client stays logged out instead of reconnecting",
  );
});
