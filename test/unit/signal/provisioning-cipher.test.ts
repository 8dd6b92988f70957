import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { PrivateKey } from "@signalapp/libsignal-client";
// The mock server's encryptor is Signal's own implementation of the primary's side: an
// independent check that we decrypt what a real phone produces.
import { encryptProvisionMessage } from "@signalapp/mock-server/src/crypto.js";
import { ProvisioningCipherError } from "../../../src/signal/errors.js";
import { decryptProvisioningMessage } from "../../../src/signal/provisioning-cipher.js";

// The mock bundles its own libsignal; its encryptor needs that copy's PublicKey class.
const mockLibsignal = createRequire(import.meta.resolve("@signalapp/mock-server"))(
  "@signalapp/libsignal-client",
) as { PublicKey: { deserialize(bytes: Uint8Array): Parameters<typeof encryptProvisionMessage>[1] } };

function encrypt(plaintext: Buffer, ours: PrivateKey): { publicKey: Uint8Array; body: Uint8Array } {
  const theirView = mockLibsignal.PublicKey.deserialize(ours.getPublicKey().serialize());
  const { body, ephemeralKey } = encryptProvisionMessage(Buffer.from(plaintext), theirView);
  return { publicKey: ephemeralKey, body };
}

test("decrypts a provisioning message encrypted by a primary device", () => {
  const ours = PrivateKey.generate();
  const plaintext = Buffer.from("the provision message bytes, longer than one AES block", "utf8");
  assert.deepEqual(Buffer.from(decryptProvisioningMessage(ours, encrypt(plaintext, ours))), plaintext);
});

test("refuses a message whose MAC does not match", () => {
  const ours = PrivateKey.generate();
  const envelope = encrypt(Buffer.from("hello"), ours);
  const body = Buffer.from(envelope.body);
  body[20] = (body[20] ?? 0) ^ 1;
  assert.throws(() => decryptProvisioningMessage(ours, { ...envelope, body }), ProvisioningCipherError);
});

test("refuses a message encrypted to another key", () => {
  const envelope = encrypt(Buffer.from("hello"), PrivateKey.generate());
  assert.throws(() => decryptProvisioningMessage(PrivateKey.generate(), envelope), /integrity check/);
});

test("refuses an unknown version and a truncated body", () => {
  const ours = PrivateKey.generate();
  const envelope = encrypt(Buffer.from("hello"), ours);
  const body = Buffer.from(envelope.body);
  body[0] = 2;
  assert.throws(() => decryptProvisioningMessage(ours, { ...envelope, body }), /unknown version 2/);
  assert.throws(
    () => decryptProvisioningMessage(ours, { ...envelope, body: body.subarray(0, 40) }),
    /too short/,
  );
});
