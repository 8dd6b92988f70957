import assert from "node:assert/strict";
import { createCipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { test } from "node:test";
import { AccountEntropyPool } from "@signalapp/libsignal-client/dist/AccountKeys.js";
import {
  accountMasterKey,
  decryptStorageValue,
  deriveItemKey,
  deriveManifestKey,
  deriveStorageServiceKey,
  StorageServiceError,
} from "../../../../src/signal/storage-service/storage-keys.js";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

function seal(key: Uint8Array, plaintext: string): Uint8Array {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
}

test("the storage service key matches Signal's published known answer", () => {
  // Known answer from Signal-iOS MasterKeyTest.testDerivedKeys (also in libsignal's SvrKeyTest):
  // master key = 32 bytes of 0x2a.
  const masterKey = new Uint8Array(32).fill(0x2a);
  assert.equal(
    hex(deriveStorageServiceKey(masterKey)),
    "3f31b618172a9f8ad45e290788e6176736e6161d4ea0e8050f8553521f59c200",
  );
});

test("the master key comes from the account entropy pool when the phone sent one", () => {
  const pool = AccountEntropyPool.generate();
  const legacy = new Uint8Array(32).fill(7);
  const fromPool = accountMasterKey({ accountEntropyPool: pool, masterKey: legacy });
  assert.equal(hex(fromPool), hex(AccountEntropyPool.deriveSvrKey(pool)));
  assert.notEqual(hex(fromPool), hex(legacy));
  assert.equal(hex(accountMasterKey({ accountEntropyPool: null, masterKey: legacy })), hex(legacy));
  assert.throws(() => accountMasterKey({ accountEntropyPool: null, masterKey: null }), StorageServiceError);
});

test("manifest and item keys follow the published formulas", () => {
  const storageKey = new Uint8Array(32).fill(0x11);
  const rawId = new Uint8Array(16).fill(0x22);
  const recordIkm = new Uint8Array(32).fill(0x33);
  const hmac = (text: string) => createHmac("sha256", storageKey).update(text).digest("hex");
  assert.equal(hex(deriveManifestKey(storageKey, 42)), hmac("Manifest_42"));
  assert.equal(
    hex(deriveItemKey(storageKey, null, rawId)),
    hmac(`Item_${Buffer.from(rawId).toString("base64")}`),
  );
  const expected = hkdfSync(
    "sha256",
    recordIkm,
    new Uint8Array(0),
    Buffer.concat([Buffer.from("20240801_SIGNAL_STORAGE_SERVICE_ITEM_"), rawId]),
    32,
  );
  assert.equal(hex(deriveItemKey(storageKey, recordIkm, rawId)), hex(new Uint8Array(expected)));
});

test("a storage value opens with its key and a tampered one is refused", () => {
  const key = new Uint8Array(randomBytes(32));
  const sealed = seal(key, "record bytes");
  assert.equal(Buffer.from(decryptStorageValue(key, sealed, "record")).toString("utf8"), "record bytes");
  const tampered = new Uint8Array(sealed);
  tampered[20] = (tampered[20] ?? 0) ^ 1;
  assert.throws(() => decryptStorageValue(key, tampered, "record"), StorageServiceError);
  assert.throws(() => decryptStorageValue(key, sealed.subarray(0, 10), "record"), StorageServiceError);
});
