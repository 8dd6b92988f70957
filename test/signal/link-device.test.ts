import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { linkDevice } from "../../src/signal/index.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";
import { withTimeout } from "../support/wait.js";

let mock: MockSignalServer;
let testStore: TestStore;

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
});

after(async () => {
  await testStore?.close();
  await mock?.close();
});

test("linking to a phone stores the account and asks the phone for contacts, blocked list and configuration", async () => {
  const phone = await mock.server.createPrimaryDevice({ profileName: "Phone Owner" });
  const storage = await testStore.store.signalStorage("@alice:localhost");
  const urls: string[] = [];
  const provisioned = (async () => {
    const pending = await withTimeout(
      mock.server.waitForProvision(),
      20_000,
      "the client to open provisioning",
    );
    const url = await withTimeout(
      (async () => {
        while (urls.length === 0) await new Promise((r) => setTimeout(r, 50));
        return urls[0] as string;
      })(),
      20_000,
      "a linking URL",
    );
    return pending.complete({ provisionURL: url, primaryDevice: phone });
  })();
  const linked = await withTimeout(
    linkDevice({
      environment: mock.environment,
      storage,
      deviceName: "Matrix bridge",
      onLinkUrl: (url) => urls.push(url),
    }),
    30_000,
    "linking to finish",
  );
  const device = await withTimeout(provisioned, 20_000, "the mock server to see the linked device");

  assert.match(urls[0] ?? "", /^sgnl:\/\/linkdevice\?uuid=[^&]+&pub_key=[A-Za-z0-9%]+$/);
  assert.equal(linked.aci, phone.device.aci);
  assert.equal(linked.deviceId, device.deviceId);
  const account = await storage.getAccount();
  assert.equal(account?.aci, phone.device.aci);
  assert.equal(account?.pni, phone.device.pni?.replace(/^PNI:/, ""));
  assert.equal(account?.deviceId, device.deviceId);

  await withTimeout(phone.waitForSync(device), 20_000, "the phone to receive the sync requests");
});
