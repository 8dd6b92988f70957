// The cipher of a ProvisionEnvelope: the primary device encrypts the ProvisionMessage to the
// ephemeral public key we put into the linking URL.
import { createDecipheriv, createHmac, timingSafeEqual } from "node:crypto";
import { hkdf, type PrivateKey, PublicKey } from "@signalapp/libsignal-client";
import { ProvisioningCipherError } from "./errors.js";

const VERSION = 0x01;
const IV_LENGTH = 16;
const MAC_LENGTH = 32;
const INFO = new TextEncoder().encode("TextSecure Provisioning Message");

/** What goes into a ProvisionEnvelope: the sender's ephemeral public key and the encrypted body. */
export interface ProvisioningCiphertext {
  publicKey: Uint8Array;
  body: Uint8Array;
}

function deriveKeys(ours: PrivateKey, theirs: PublicKey): { aesKey: Buffer; macKey: Buffer } {
  const secret = ours.agree(theirs);
  const keys = hkdf(64, secret, INFO, null);
  return { aesKey: Buffer.from(keys.subarray(0, 32)), macKey: Buffer.from(keys.subarray(32, 64)) };
}

/** Decrypts a ProvisionEnvelope body with our ephemeral private key; returns the ProvisionMessage bytes. */
export function decryptProvisioningMessage(ours: PrivateKey, envelope: ProvisioningCiphertext): Uint8Array {
  const { body } = envelope;
  if (body.length < 1 + IV_LENGTH + MAC_LENGTH + 16) {
    throw new ProvisioningCipherError("Provisioning message is too short to be valid.");
  }
  if (body[0] !== VERSION) {
    throw new ProvisioningCipherError(`Provisioning message has unknown version ${body[0]}.`);
  }
  let theirs: PublicKey;
  try {
    theirs = PublicKey.deserialize(new Uint8Array(envelope.publicKey));
  } catch (cause) {
    throw new ProvisioningCipherError("Provisioning message carries an invalid public key.", { cause });
  }
  const { aesKey, macKey } = deriveKeys(ours, theirs);
  const signed = body.subarray(0, body.length - MAC_LENGTH);
  const mac = body.subarray(body.length - MAC_LENGTH);
  const expected = createHmac("sha256", macKey).update(signed).digest();
  if (!timingSafeEqual(expected, mac)) {
    throw new ProvisioningCipherError("Provisioning message failed its integrity check.");
  }
  const iv = body.subarray(1, 1 + IV_LENGTH);
  const ciphertext = body.subarray(1 + IV_LENGTH, body.length - MAC_LENGTH);
  try {
    const decipher = createDecipheriv("aes-256-cbc", aesKey, iv);
    return new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  } catch (cause) {
    throw new ProvisioningCipherError("Provisioning message could not be decrypted.", { cause });
  }
}
