import assert from "node:assert/strict";
import { test } from "node:test";
import { IdentityKeyPair } from "@signalapp/libsignal-client";
import { safetyNumber, UnknownIdentityKeyError } from "../../../src/signal/safety-number.js";
import type { AccountRecord } from "../../../src/signal/storage.js";
import { sampleAccount } from "../store/sample-records.js";
import { openTempStore } from "../store/temp-store.js";

const BOB_ACI = "7c1e2d3f-4a5b-4c6d-8e7f-901a2b3c4d5e";

const publicKeyOf = (account: AccountRecord) =>
  IdentityKeyPair.deserialize(new Uint8Array(account.aciIdentityKeyPair)).publicKey.serialize();

test("both sides compute the same 60-digit safety number; a changed key changes it", async (t) => {
  const { store } = await openTempStore(t);
  const alice = sampleAccount();
  const bob = { ...sampleAccount(), aci: BOB_ACI };
  const seen = { verification: "default", firstSeenAt: 1 } as const;
  await (
    await store.signalStorage("@alice:x")
  ).commit([
    { type: "account", account: alice },
    { type: "identity", serviceId: BOB_ACI, identity: { ...seen, publicKey: publicKeyOf(bob) } },
  ]);
  await (
    await store.signalStorage("@bob:x")
  ).commit([
    { type: "account", account: bob },
    { type: "identity", serviceId: alice.aci, identity: { ...seen, publicKey: publicKeyOf(alice) } },
  ]);

  const aliceView = await safetyNumber({
    storage: await store.signalStorage("@alice:x"),
    contactAci: BOB_ACI,
  });
  const bobView = await safetyNumber({ storage: await store.signalStorage("@bob:x"), contactAci: alice.aci });
  assert.match(aliceView, /^\d{60}$/);
  assert.equal(aliceView, bobView);

  const newBobKey = IdentityKeyPair.generate().publicKey.serialize();
  await (
    await store.signalStorage("@alice:x")
  ).commit([{ type: "identity", serviceId: BOB_ACI, identity: { ...seen, publicKey: newBobKey } }]);
  assert.notEqual(
    await safetyNumber({ storage: await store.signalStorage("@alice:x"), contactAci: BOB_ACI }),
    aliceView,
  );
});

test("a contact without a known identity key has no safety number, and the error says what to do", async (t) => {
  const { store } = await openTempStore(t);
  await (await store.signalStorage("@alice:x")).commit([{ type: "account", account: sampleAccount() }]);
  await assert.rejects(
    safetyNumber({ storage: await store.signalStorage("@alice:x"), contactAci: BOB_ACI }),
    (error: unknown) => error instanceof UnknownIdentityKeyError && /Exchange a message/.test(error.message),
  );
});
