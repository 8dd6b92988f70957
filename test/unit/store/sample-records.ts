import { randomBytes } from "node:crypto";

import { IdentityKeyPair } from "@signalapp/libsignal-client";

import type { AccountRecord, RecipientRecord, StorageWrite } from "../../../src/signal/index.js";

export const bytes = (length: number): Uint8Array => new Uint8Array(randomBytes(length));

/** A linked account with fresh random secrets (real libsignal identity key pairs). */
export function sampleAccount(): AccountRecord {
  return {
    aci: "0f2b6c2e-3a4d-4e5f-8a9b-0c1d2e3f4a5b",
    pni: "9e8d7c6b-5a49-4837-a625-14f3e2d1c0b9",
    number: "+4915112345678",
    deviceId: 3,
    password: randomBytes(18).toString("base64"),
    registrationId: 4242,
    pniRegistrationId: 4343,
    aciIdentityKeyPair: IdentityKeyPair.generate().serialize(),
    pniIdentityKeyPair: IdentityKeyPair.generate().serialize(),
    profileKey: bytes(32),
    masterKey: bytes(32),
    accountEntropyPool: randomBytes(48).toString("hex").slice(0, 64),
    mediaRootBackupKey: bytes(32),
    ephemeralBackupKey: bytes(32),
    deviceName: "Matrix bridge",
    keyIds: {
      aci: { nextPreKeyId: 101, nextSignedPreKeyId: 2, nextKyberPreKeyId: 7 },
      pni: { nextPreKeyId: 201, nextSignedPreKeyId: 3, nextKyberPreKeyId: 9 },
    },
    signedPreKeyRotatedAt: 1_700_000_000_000,
  };
}

export function sampleRecipient(aci: string): RecipientRecord {
  return {
    aci,
    pni: "11111111-2222-4333-8444-555555555555",
    number: "+15555550123",
    profileKey: bytes(32),
    profileName: "Alice",
    contactName: "Alice from work",
  };
}

/** The contact of `sampleSignalState`. */
export const SAMPLE_CONTACT = "5d1c3b7a-9e2f-4a6b-8c0d-1e2f3a4b5c6d";

/**
 * One account's Signal state for the secrets-at-rest scans: every secret in it by name, and the
 * store writes that hold them (the account, one record of each protocol kind, the contact, a
 * buffered message). Scans add secrets and writes of their own.
 */
export function sampleSignalState() {
  const account = sampleAccount();
  const recipient = sampleRecipient(SAMPLE_CONTACT);
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
  };
  const writes: StorageWrite[] = [
    { type: "account", account },
    {
      type: "session",
      ours: "aci",
      serviceId: SAMPLE_CONTACT,
      deviceId: 1,
      record: secrets["session record"],
    },
    { type: "pre-key", ours: "aci", id: 1, record: secrets["pre-key record"] },
    { type: "signed-pre-key", ours: "aci", id: 1, record: secrets["signed pre-key record"] },
    { type: "kyber-pre-key", ours: "pni", id: 1, record: secrets["Kyber pre-key record"], lastResort: true },
    {
      type: "sender-key",
      serviceId: SAMPLE_CONTACT,
      deviceId: 1,
      distributionId: "a3b1c2d4-e5f6-4789-8abc-def012345678",
      record: secrets["sender key record"],
    },
    { type: "recipient", recipient },
    { type: "event", key: "guid-1", payload: Buffer.from(message, "utf8") },
  ];
  return { account, recipient, secrets, writes };
}
