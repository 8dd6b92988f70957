// The device name is stored on the server encrypted to our own ACI identity key, so only our
// devices can read it (as the phone's "Linked devices" list does).
import { createCipheriv, createHmac } from "node:crypto";
import { PrivateKey, type PublicKey } from "@signalapp/libsignal-client";
import { signalservice } from "../proto/generated/signal.js";
import { toBase64 } from "./chat-api.js";

function hmac(key: Uint8Array, data: Uint8Array | string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

/** Encrypts a device name for `accountAttributes.name`; returns base64 of a DeviceName message. */
export function encryptDeviceName(name: string, identityPublicKey: PublicKey): string {
  const plaintext = Buffer.from(name, "utf8");
  const ephemeral = PrivateKey.generate();
  const masterSecret = ephemeral.agree(identityPublicKey);
  const syntheticIv = hmac(hmac(masterSecret, "auth"), plaintext).subarray(0, 16);
  const cipherKey = hmac(hmac(masterSecret, "cipher"), syntheticIv);
  const cipher = createCipheriv("aes-256-ctr", cipherKey, Buffer.alloc(16));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const message = signalservice.DeviceName.encode({
    ephemeralPublic: ephemeral.getPublicKey().serialize(),
    syntheticIv,
    ciphertext,
  }).finish();
  return toBase64(message);
}
