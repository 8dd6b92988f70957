import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";

import type { StorageWrite } from "../../../src/signal/index.js";
import { openDatabase } from "../../../src/store/index.js";
import { bytes, sampleAccount, sampleRecipient } from "./sample-records.js";
import { storePaths, tempDir } from "./temp-store.js";

const CONTACT = "5d1c3b7a-9e2f-4a6b-8c0d-1e2f3a4b5c6d";

/** The database file plus its WAL, as an attacker copying the data directory would get them. */
function rawFiles(databasePath: string): { name: string; content: Buffer }[] {
  return [databasePath, `${databasePath}-wal`]
    .filter((path) => existsSync(path))
    .map((path) => ({ name: path, content: readFileSync(path) }));
}

/** The encodings a secret could leak in: raw, hex, base64 (standard and URL-safe), and pieces of them. */
function forms(secret: Uint8Array | string): Buffer[] {
  const raw = typeof secret === "string" ? Buffer.from(secret, "utf8") : Buffer.from(secret);
  const encodings = [raw, Buffer.from(raw.toString("hex")), Buffer.from(raw.toString("hex").toUpperCase())];
  encodings.push(Buffer.from(raw.toString("base64")), Buffer.from(raw.toString("base64url")));
  // A value split across pages would not match whole: look for its first and last 16 bytes too.
  const pieces = encodings.flatMap((form) =>
    form.length > 24 ? [form.subarray(0, 16), form.subarray(form.length - 16)] : [],
  );
  return [...encodings, ...pieces];
}

function assertNotStored(
  files: { name: string; content: Buffer }[],
  secrets: Record<string, Uint8Array | string>,
) {
  for (const file of files) {
    for (const [label, secret] of Object.entries(secrets)) {
      for (const form of forms(secret)) {
        assert.equal(file.content.indexOf(form), -1, `${label} found in plaintext in ${file.name}`);
      }
    }
  }
}

test("the raw database file and WAL contain none of the account's secrets", async (t) => {
  const paths = storePaths(tempDir(t));
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
    "session record": bytes(420),
    "pre-key record": bytes(80),
    "signed pre-key record": bytes(150),
    "Kyber pre-key record": bytes(2400),
    "sender key record": bytes(220),
    "contact's profile key": recipient.profileKey!,
    "buffered message": message,
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

  const store = openDatabase(paths);
  await store.signalStorage("@alice:example.org").commit(writes);

  // While open, the latest writes sit in the WAL.
  const whileOpen = rawFiles(paths.databasePath);
  assert.ok(
    whileOpen.some((file) => file.name.endsWith("-wal")),
    "expected a WAL file while the database is open",
  );
  // The search itself works: public values of the same rows are found in plaintext.
  assert.ok(
    whileOpen.some(
      (file) => file.content.includes(account.aci) && file.content.includes(recipient.profileName!),
    ),
    "the account's public ACI and the contact's name should be stored readable",
  );
  assertNotStored(whileOpen, secrets);

  store.close();
  const afterClose = rawFiles(paths.databasePath);
  assert.ok(afterClose.some((file) => file.content.includes(account.aci)));
  assertNotStored(afterClose, secrets);

  // The bridge key is not in the database either; the data is useless without the key file.
  assertNotStored(afterClose, { "bridge key": readFileSync(paths.keyFilePath) });
});
