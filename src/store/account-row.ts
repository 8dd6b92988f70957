import type { AccountRecord, KeyIdState, OwnIdentity } from "../signal/index.js";

import { CorruptRecordError } from "./errors.js";

/** The public columns of signal_accounts, as bound to/read from SQL. */
export interface AccountColumns {
  aci: string;
  pni: string;
  number: string | null;
  device_id: number;
  device_name: string;
  registration_id: number;
  pni_registration_id: number;
  key_ids: string;
  signed_pre_key_rotated_at: number;
}

// The secrets travel as one JSON document sealed into signal_accounts.secrets_sealed; binary
// values are base64 inside it.
interface SealedAccountSecrets {
  password: string;
  aciIdentityKeyPair: string;
  pniIdentityKeyPair: string;
  profileKey: string | null;
  masterKey: string | null;
  accountEntropyPool: string | null;
  mediaRootBackupKey: string | null;
  /** Absent in rows written before history transfer existed. */
  ephemeralBackupKey?: string | null;
}

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));
const optionalToBase64 = (bytes: Uint8Array | null): string | null =>
  bytes === null ? null : toBase64(bytes);
const optionalFromBase64 = (text: string | null): Uint8Array | null =>
  text === null ? null : fromBase64(text);

export function accountToRow(account: AccountRecord): { columns: AccountColumns; secrets: Buffer } {
  const secrets: SealedAccountSecrets = {
    password: account.password,
    aciIdentityKeyPair: toBase64(account.aciIdentityKeyPair),
    pniIdentityKeyPair: toBase64(account.pniIdentityKeyPair),
    profileKey: optionalToBase64(account.profileKey),
    masterKey: optionalToBase64(account.masterKey),
    accountEntropyPool: account.accountEntropyPool,
    mediaRootBackupKey: optionalToBase64(account.mediaRootBackupKey),
    ephemeralBackupKey: optionalToBase64(account.ephemeralBackupKey),
  };
  return {
    columns: {
      aci: account.aci,
      pni: account.pni,
      number: account.number,
      device_id: account.deviceId,
      device_name: account.deviceName,
      registration_id: account.registrationId,
      pni_registration_id: account.pniRegistrationId,
      key_ids: JSON.stringify(account.keyIds),
      signed_pre_key_rotated_at: account.signedPreKeyRotatedAt,
    },
    secrets: Buffer.from(JSON.stringify(secrets), "utf8"),
  };
}

export function accountFromRow(columns: AccountColumns, secretsJson: Buffer): AccountRecord {
  let secrets: SealedAccountSecrets;
  let keyIds: Record<OwnIdentity, KeyIdState>;
  try {
    secrets = JSON.parse(secretsJson.toString("utf8")) as SealedAccountSecrets;
    keyIds = JSON.parse(columns.key_ids) as Record<OwnIdentity, KeyIdState>;
  } catch {
    throw new CorruptRecordError(`the account record of ${columns.aci} in the database is not valid JSON`);
  }
  return {
    aci: columns.aci,
    pni: columns.pni,
    number: columns.number,
    deviceId: columns.device_id,
    password: secrets.password,
    registrationId: columns.registration_id,
    pniRegistrationId: columns.pni_registration_id,
    aciIdentityKeyPair: fromBase64(secrets.aciIdentityKeyPair),
    pniIdentityKeyPair: fromBase64(secrets.pniIdentityKeyPair),
    profileKey: optionalFromBase64(secrets.profileKey),
    masterKey: optionalFromBase64(secrets.masterKey),
    accountEntropyPool: secrets.accountEntropyPool,
    mediaRootBackupKey: optionalFromBase64(secrets.mediaRootBackupKey),
    ephemeralBackupKey: optionalFromBase64(secrets.ephemeralBackupKey ?? null),
    deviceName: columns.device_name,
    keyIds,
    signedPreKeyRotatedAt: columns.signed_pre_key_rotated_at,
  };
}
