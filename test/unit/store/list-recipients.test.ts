import assert from "node:assert/strict";

import { sampleAccount, sampleRecipient } from "./sample-records.js";
import { openTempStore, storeTest } from "./temp-store.js";

const ALICE = "@alice:example.org";
const BOB = "@bob:example.org";
const FIRST = "5d1c3b7a-9e2f-4a6b-8c0d-1e2f3a4b5c6d";
const SECOND = "0a1b2c3d-4e5f-4a6b-9c0d-1e2f3a4b5c6d";

storeTest(
  "listRecipients returns every recipient of the account, profile keys opened, and no other account's",
  async (t, backend) => {
    const { store } = await openTempStore(t, undefined, backend);
    const first = sampleRecipient(FIRST);
    const second = { ...sampleRecipient(SECOND), profileKey: null, contactName: null };
    await (
      await store.signalStorage(ALICE)
    ).commit([
      { type: "account", account: sampleAccount() },
      { type: "recipient", recipient: first },
      { type: "recipient", recipient: second },
    ]);
    await (
      await store.signalStorage(BOB)
    ).commit([
      { type: "recipient", recipient: { ...sampleRecipient(FIRST), contactName: "Bob's name for them" } },
    ]);

    const listed = await (await store.signalStorage(ALICE)).listRecipients();
    const byAci = new Map(listed.map((recipient) => [recipient.aci, recipient]));
    assert.equal(listed.length, 2);
    assert.deepEqual(byAci.get(FIRST), first);
    assert.deepEqual(byAci.get(SECOND), second);
    assert.deepEqual(
      (await (await store.signalStorage(BOB)).listRecipients()).map((recipient) => recipient.contactName),
      ["Bob's name for them"],
    );
    assert.deepEqual(await (await store.signalStorage("@nobody:example.org")).listRecipients(), []);
  },
);
