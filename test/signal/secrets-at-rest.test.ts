import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { IdentityKeyPair } from "@signalapp/libsignal-client";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { SignalClient } from "../../src/signal/index.js";
import { EventLog, introduce, linkToPhone } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";

const ACCOUNT = "@alice:localhost";
let mock: MockSignalServer;
let testStore: TestStore;
let friend: PrimaryDevice;
let device: Device;

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend" });
  const phone = await mock.server.createPrimaryDevice({ profileName: "Phone Owner", contacts: [friend] });
  device = await linkToPhone(mock, await testStore.store.signalStorage(ACCOUNT), phone);
  await introduce(friend, device);
});

after(async () => {
  await testStore?.close();
  await mock?.close();
});

function contains(haystack: Buffer, needle: Uint8Array): boolean {
  return needle.length > 0 && haystack.includes(Buffer.from(needle));
}

test("the database files, read raw, contain none of the account's keys, sessions or message text", async () => {
  const storage = await testStore.store.signalStorage(ACCOUNT);
  const client = await SignalClient.open({ environment: mock.environment, storage });
  const log = new EventLog(client);
  await client.start();
  await friend.sendText(device, "a very private sentence", { timestamp: 1_700_000_003_000 });
  await log.waitFor("message", (e) => e.message.body === "a very private sentence", "the message");
  await client.stop();

  const account = await storage.getAccount();
  assert.ok(account, "the account is stored");
  const session = await storage.getSession("aci", friend.device.aci, friend.device.deviceId);
  assert.ok(session, "a session with the friend is stored");
  const secrets: Array<[string, Uint8Array]> = [
    [
      "ACI identity private key",
      IdentityKeyPair.deserialize(new Uint8Array(account.aciIdentityKeyPair)).privateKey.serialize(),
    ],
    [
      "PNI identity private key",
      IdentityKeyPair.deserialize(new Uint8Array(account.pniIdentityKeyPair)).privateKey.serialize(),
    ],
    ["device password", Buffer.from(account.password)],
    ["profile key", account.profileKey ?? new Uint8Array()],
    ["master key", account.masterKey ?? new Uint8Array()],
    ["account entropy pool", Buffer.from(account.accountEntropyPool ?? "")],
    ["session record", session],
    ["message text", Buffer.from("a very private sentence")],
  ];
  await testStore.store.close();
  const files = [testStore.databasePath, `${testStore.databasePath}-wal`].filter((path) => existsSync(path));
  const raw = Buffer.concat(files.map((path) => readFileSync(path)));
  // Control: public account data is stored in clear, so the search does look at the right bytes.
  assert.ok(raw.includes(Buffer.from(account.aci)), "the ACI (public) is found in the database files");
  for (const [what, bytes] of secrets) {
    assert.ok(bytes.length > 0, `${what} is known to the test`);
    assert.equal(contains(raw, bytes), false, `${what} appears in plaintext in the database`);
    assert.equal(
      raw.includes(Buffer.from(Buffer.from(bytes).toString("base64"))),
      false,
      `${what} appears base64-encoded`,
    );
  }
  await testStore.reopen();
});
