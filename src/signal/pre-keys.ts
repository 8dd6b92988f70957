// Generation, upload and upkeep of our pre-keys (EC one-time, signed, Kyber one-time and last resort).
import {
  KEMKeyPair,
  KyberPreKeyRecord,
  PreKeyRecord,
  PrivateKey,
  SignedPreKeyRecord,
  IdentityKeyPair,
} from "@signalapp/libsignal-client";
import { chatRequestOk, toBase64, type ChatRequester } from "./chat-api.js";
import type { AccountRecord, KeyIdState, OwnIdentity, SignalStorage, StorageWrite } from "./storage.js";

/** How many one-time keys of each kind one upload carries. */
export const ONE_TIME_KEY_BATCH = 100;
/** Refill one-time keys when the server holds fewer than this. */
export const ONE_TIME_KEY_LOW_WATER = 10;
/** Rotate signed and last-resort keys this often. */
export const SIGNED_PRE_KEY_ROTATION_MS = 2 * 24 * 60 * 60 * 1000;
// Old signed keys stay a while so messages encrypted to them before a rotation still decrypt.
const SIGNED_KEYS_KEPT = 3;
const MAX_KEY_ID = 0xffffff;

export interface UploadedPreKey {
  keyId: number;
  publicKey: string;
}

export interface UploadedSignedPreKey extends UploadedPreKey {
  signature: string;
}

/** The body of `PUT /v2/keys`. */
export interface KeyUpload {
  preKeys?: UploadedPreKey[];
  pqPreKeys?: UploadedSignedPreKey[];
  signedPreKey?: UploadedSignedPreKey;
  pqLastResortPreKey?: UploadedSignedPreKey;
}

function nextId(id: number): number {
  return (id % MAX_KEY_ID) + 1;
}

/** Generates keys while tracking ids and the storage writes that keep the private halves. */
export class KeyGenerator {
  readonly writes: StorageWrite[] = [];
  readonly keyIds: Record<OwnIdentity, KeyIdState>;

  constructor(
    private readonly identities: Record<OwnIdentity, IdentityKeyPair>,
    keyIds: Record<OwnIdentity, KeyIdState>,
  ) {
    this.keyIds = { aci: { ...keyIds.aci }, pni: { ...keyIds.pni } };
  }

  signedPreKey(ours: OwnIdentity, now: number): UploadedSignedPreKey {
    const id = this.keyIds[ours].nextSignedPreKeyId;
    this.keyIds[ours].nextSignedPreKeyId = nextId(id);
    const privateKey = PrivateKey.generate();
    const publicKey = privateKey.getPublicKey();
    const signature = this.identities[ours].privateKey.sign(publicKey.serialize());
    const record = SignedPreKeyRecord.new(id, now, publicKey, privateKey, signature);
    this.writes.push({ type: "signed-pre-key", ours, id, record: record.serialize() });
    return { keyId: id, publicKey: toBase64(publicKey.serialize()), signature: toBase64(signature) };
  }

  kyberPreKey(ours: OwnIdentity, now: number, lastResort: boolean): UploadedSignedPreKey {
    const id = this.keyIds[ours].nextKyberPreKeyId;
    this.keyIds[ours].nextKyberPreKeyId = nextId(id);
    const keyPair = KEMKeyPair.generate();
    const publicKey = keyPair.getPublicKey().serialize();
    const signature = this.identities[ours].privateKey.sign(publicKey);
    const record = KyberPreKeyRecord.new(id, now, keyPair, signature);
    this.writes.push({ type: "kyber-pre-key", ours, id, record: record.serialize(), lastResort });
    return { keyId: id, publicKey: toBase64(publicKey), signature: toBase64(signature) };
  }

  oneTimeKeys(
    ours: OwnIdentity,
    now: number,
    count: number,
  ): Required<Pick<KeyUpload, "preKeys" | "pqPreKeys">> {
    const preKeys: UploadedPreKey[] = [];
    const pqPreKeys: UploadedSignedPreKey[] = [];
    for (let i = 0; i < count; i++) {
      const id = this.keyIds[ours].nextPreKeyId;
      this.keyIds[ours].nextPreKeyId = nextId(id);
      const privateKey = PrivateKey.generate();
      const record = PreKeyRecord.new(id, privateKey.getPublicKey(), privateKey);
      this.writes.push({ type: "pre-key", ours, id, record: record.serialize() });
      preKeys.push({ keyId: id, publicKey: toBase64(privateKey.getPublicKey().serialize()) });
      pqPreKeys.push(this.kyberPreKey(ours, now, false));
    }
    return { preKeys, pqPreKeys };
  }
}

/** Fresh key-id counters: random starting points, as ids of a relinked device must not collide. */
export function initialKeyIds(): KeyIdState {
  const random = (): number => 1 + Math.floor(Math.random() * (MAX_KEY_ID - 1));
  return { nextPreKeyId: random(), nextSignedPreKeyId: random(), nextKyberPreKeyId: random() };
}

function keysPath(ours: OwnIdentity): string {
  return ours === "aci" ? "/v2/keys" : "/v2/keys?identity=pni";
}

export async function uploadKeys(
  connection: ChatRequester,
  ours: OwnIdentity,
  upload: KeyUpload,
): Promise<void> {
  await chatRequestOk(connection, "PUT", keysPath(ours), upload);
}

/** Our two identity key pairs from the account record. */
export function accountIdentities(account: AccountRecord): Record<OwnIdentity, IdentityKeyPair> {
  return {
    aci: IdentityKeyPair.deserialize(new Uint8Array(account.aciIdentityKeyPair)),
    pni: IdentityKeyPair.deserialize(new Uint8Array(account.pniIdentityKeyPair)),
  };
}

/**
 * Uploads fresh one-time keys for each identity whose server-side stock is low, and rotates the
 * signed and last-resort keys when due. Private halves are stored before the public halves are
 * uploaded, so a crash in between leaves unused keys rather than unusable ones.
 */
export async function maintainPreKeys(
  connection: ChatRequester,
  storage: SignalStorage,
  now: number = Date.now(),
): Promise<void> {
  const account = await storage.getAccount();
  if (!account) return;
  const generator = new KeyGenerator(accountIdentities(account), account.keyIds);
  const uploads: Array<[OwnIdentity, KeyUpload]> = [];
  const rotate = now - account.signedPreKeyRotatedAt >= SIGNED_PRE_KEY_ROTATION_MS;
  for (const ours of ["aci", "pni"] as const) {
    const counts = (await chatRequestOk(connection, "GET", keysPath(ours))) as {
      count?: number;
      pqCount?: number;
    };
    const upload: KeyUpload = {};
    if ((counts.count ?? 0) < ONE_TIME_KEY_LOW_WATER || (counts.pqCount ?? 0) < ONE_TIME_KEY_LOW_WATER) {
      Object.assign(upload, generator.oneTimeKeys(ours, now, ONE_TIME_KEY_BATCH));
    }
    if (rotate) {
      upload.signedPreKey = generator.signedPreKey(ours, now);
      upload.pqLastResortPreKey = generator.kyberPreKey(ours, now, true);
      generator.writes.push(...(await pruneOldKeys(storage, ours)));
    }
    if (Object.keys(upload).length > 0) uploads.push([ours, upload]);
  }
  if (uploads.length === 0) return;
  const updated: AccountRecord = {
    ...account,
    keyIds: generator.keyIds,
    signedPreKeyRotatedAt: rotate ? now : account.signedPreKeyRotatedAt,
  };
  await storage.commit([...generator.writes, { type: "account", account: updated }]);
  for (const [ours, upload] of uploads) await uploadKeys(connection, ours, upload);
}

async function pruneOldKeys(storage: SignalStorage, ours: OwnIdentity): Promise<StorageWrite[]> {
  const writes: StorageWrite[] = [];
  // The ids just generated are not in storage yet, so keep one fewer of the stored ones.
  const signed = await storage.listSignedPreKeyIds(ours);
  for (const id of signed.slice(0, Math.max(0, signed.length - (SIGNED_KEYS_KEPT - 1)))) {
    writes.push({ type: "signed-pre-key-delete", ours, id });
  }
  const lastResort = await storage.listLastResortKyberPreKeyIds(ours);
  for (const id of lastResort.slice(0, Math.max(0, lastResort.length - (SIGNED_KEYS_KEPT - 1)))) {
    writes.push({ type: "kyber-pre-key-delete", ours, id });
  }
  return writes;
}
