import assert from "node:assert/strict";

import type { SenderKeyDistributionRecord } from "../../../src/signal/index.js";
import { sampleAccount } from "./sample-records.js";
import { openTempStore, storeTest } from "./temp-store.js";

const ALICE = "@alice:example.org";
const GROUP = "Zm9vYmFyYmF6Z3JvdXBpZGVudGlmaWVyMTIzNDU2Nzg=";
const MEMBER = "7c9d1e2f-3a4b-4c5d-8e6f-708192a3b4c5";

function sampleDistribution(): SenderKeyDistributionRecord {
  return {
    groupId: GROUP,
    distributionId: "a3b1c2d4-e5f6-4789-8abc-def012345678",
    createdAt: 1_700_000_000_000,
    sharedWith: [
      { serviceId: MEMBER, deviceId: 1, registrationId: 1234 },
      { serviceId: MEMBER, deviceId: 2, registrationId: 5678 },
    ],
  };
}

storeTest(
  "a group's sender-key distribution reads back after reopening, and a rewrite replaces it",
  async (t, backend) => {
    const { store, reopen } = await openTempStore(t, undefined, backend);
    const storage = await store.signalStorage(ALICE);
    await storage.commit([{ type: "account", account: sampleAccount() }]);
    assert.equal(await storage.getSenderKeyDistribution(GROUP), null, "nothing before the first group send");

    const first = sampleDistribution();
    await storage.commit([{ type: "sender-key-distribution", record: first }]);
    await store.close();

    const reopened = await reopen();
    const again = await reopened.signalStorage(ALICE);
    assert.deepEqual(await again.getSenderKeyDistribution(GROUP), first);

    const rotated: SenderKeyDistributionRecord = {
      ...first,
      distributionId: "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f",
      sharedWith: [],
    };
    await again.commit([{ type: "sender-key-distribution", record: rotated }]);
    assert.deepEqual(await again.getSenderKeyDistribution(GROUP), rotated);
    assert.equal(
      await (await reopened.signalStorage("@bob:example.org")).getSenderKeyDistribution(GROUP),
      null,
    );
  },
);

storeTest("who holds our sender key is not readable in the database file", async (t, backend) => {
  const { store, rawFiles } = await openTempStore(t, undefined, backend);
  const storage = await store.signalStorage(ALICE);
  await storage.commit([
    { type: "account", account: sampleAccount() },
    { type: "sender-key-distribution", record: sampleDistribution() },
  ]);
  await store.close();
  for (const file of await rawFiles()) {
    assert.equal(
      file.content.indexOf(Buffer.from(MEMBER)),
      -1,
      `a member's ACI is in plaintext in ${file.name}`,
    );
  }
});
