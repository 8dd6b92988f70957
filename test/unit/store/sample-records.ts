import { randomBytes } from "node:crypto";

import { IdentityKeyPair } from "@signalapp/libsignal-client";

import type { AccountRecord, RecipientRecord } from "../../../src/signal/index.js";

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
