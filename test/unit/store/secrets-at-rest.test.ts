import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import type { StorageWrite } from "../../../src/signal/index.js";
import { assertNotStored } from "./raw-files.js";
import { bytes, sampleAccount, sampleRecipient } from "./sample-records.js";
import { openTempStore, storeTest } from "./temp-store.js";

const CONTACT = "5d1c3b7a-9e2f-4a6b-8c0d-1e2f3a4b5c6d";

storeTest("the raw database files and WAL contain none of the account's secrets", async (t, backend) => {
  const { store, paths, rawFiles } = await openTempStore(t, undefined, backend);
  const account = sampleAccount();
  const recipient = sampleRecipient(CONTACT);
  const message = "meet me at the old oak tree at midnight, bring the documents";
  const secrets = {
    password: account.password,
    "ACI identity key pair": account.aciIdentityKeyPair,
    "PNI identity key pair": account.pniIdentityKeyPair,
    "profile key": account.profileKey!,
    "master key": account.masterKey!,
    "account entropy pool": account.accountEntropyPool!,
    "media root backup key": account.mediaRootBackupKey!,
    "history transfer key": account.ephemeralBackupKey!,
    "session record": bytes(420),
    "pre-key record": bytes(80),
    "signed pre-key record": bytes(150),
    "Kyber pre-key record": bytes(2400),
    "sender key record": bytes(220),
    "contact's profile key": recipient.profileKey!,
    "buffered message": message,
    "Matrix access token (login-matrix)": "syt_YWxpY2U_aXtVeryPrivateTokenValue_0c1d2e",
  };
  const writes: StorageWrite[] = [
    { type: "account", account },
    { type: "session", ours: "aci", serviceId: CONTACT, deviceId: 1, record: secrets["session record"] },
    { type: "pre-key", ours: "aci", id: 1, record: secrets["pre-key record"] },
    { type: "signed-pre-key", ours: "aci", id: 1, record: secrets["signed pre-key record"] },
    { type: "kyber-pre-key", ours: "pni", id: 1, record: secrets["Kyber pre-key record"], lastResort: true },
    {
      type: "sender-key",
      serviceId: CONTACT,
      deviceId: 1,
      distributionId: "a3b1c2d4-e5f6-4789-8abc-def012345678",
      record: secrets["sender key record"],
    },
    { type: "recipient", recipient },
    { type: "event", key: "guid-1", payload: Buffer.from(message, "utf8") },
  ];

  await (await store.signalStorage("@alice:example.org")).commit(writes);
  await store.doublePuppets.saveToken("@alice:example.org", secrets["Matrix access token (login-matrix)"]);

  // While open, SQLite's latest writes sit in its WAL (PostgreSQL's: in pg_wal and, after the
  // CHECKPOINT rawFiles() runs, in the data files too).
  const whileOpen = await rawFiles();
  if (backend === "sqlite") {
    assert.ok(
      whileOpen.some((file) => file.name.endsWith("-wal")),
      "expected a WAL file while the database is open",
    );
  }
  // The search itself works: public values of the same rows are found in plaintext.
  assert.ok(
    whileOpen.some(
      (file) => file.content.includes(account.aci) && file.content.includes(recipient.profileName!),
    ),
    "the account's public ACI and the contact's name should be stored readable",
  );
  assertNotStored(whileOpen, secrets);

  await store.close();
  const afterClose = await rawFiles();
  assert.ok(afterClose.some((file) => file.content.includes(account.aci)));
  assertNotStored(afterClose, secrets);

  // The bridge key is not in the database either; the data is useless without the key file.
  assertNotStored(afterClose, { "bridge key": readFileSync(paths.keyFilePath) });
});
