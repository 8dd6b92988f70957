import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Device } from "@signalapp/mock-server";
import { SignalClient } from "../../src/signal/index.js";
import { EventLog, linkToPhone } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";
import { waitFor } from "../support/wait.js";

let mock: MockSignalServer;
let testStore: TestStore;
let device: Device;
let client: SignalClient | undefined;

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  const phone = await mock.server.createPrimaryDevice({ profileName: "Phone Owner" });
  device = await linkToPhone(mock, await testStore.store.signalStorage("@alice:localhost"), phone);
});

after(async () => {
  await client?.stop();
  await testStore?.close();
  await mock?.close();
});

test("one-time pre-keys used up by contacts are refilled when the client connects", async () => {
  const linkedWith = await device.getPreKeyCount();
  assert.ok(linkedWith > 10, "linking uploaded one-time keys");
  while ((await device.getPreKeyCount()) > 2) await device.popSingleUseKey();

  client = await SignalClient.open({
    environment: mock.environment,
    storage: await testStore.store.signalStorage("@alice:localhost"),
  });
  const log = new EventLog(client);
  await client.start();
  await log.waitFor("queue-empty", () => true, "the client to drain the server queue");
  await waitFor(async () => (await device.getPreKeyCount()) > 10, {
    timeoutMs: 10_000,
    what: () => "the client to upload new one-time pre-keys",
  });
  assert.deepEqual(log.of("client-error"), []);
});
