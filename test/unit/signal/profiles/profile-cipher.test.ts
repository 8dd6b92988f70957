import assert from "node:assert/strict";
import { createCipheriv, createHmac, randomBytes } from "node:crypto";
import { test } from "node:test";
import {
  decryptProfileBytes,
  decryptProfileName,
  decryptProfileText,
  ProfileDecryptionError,
} from "../../../../src/signal/profiles/profile-cipher.js";
import {
  accessKeyMatches,
  deriveAccessKey,
  profileKeyVersion,
} from "../../../../src/signal/profiles/profile-keys.js";
import { encryptProfileField } from "./profile-test-crypto.js";

const profileKey = randomBytes(32);

test("a padded name splits into given and family name", () => {
  const name = decryptProfileName(profileKey, encryptProfileField(profileKey, "Ada\0Lovelace", 53));
  assert.deepEqual(name, { givenName: "Ada", familyName: "Lovelace" });
});

test("a name without family name, padded or not, has a null family name", () => {
  assert.deepEqual(decryptProfileName(profileKey, encryptProfileField(profileKey, "Grace", 53)), {
    givenName: "Grace",
    familyName: null,
  });
  assert.deepEqual(decryptProfileName(profileKey, encryptProfileField(profileKey, "Phone Owner")), {
    givenName: "Phone Owner",
    familyName: null,
  });
});

test("names keep non-ASCII characters, also in the long padding bucket", () => {
  const name = decryptProfileName(
    profileKey,
    encryptProfileField(profileKey, "Zoë 🌻\0Ødegård-Łukasiewicz", 257),
  );
  assert.deepEqual(name, { givenName: "Zoë 🌻", familyName: "Ødegård-Łukasiewicz" });
});

test("about text and about emoji lose their padding; empty ones are null", () => {
  assert.equal(
    decryptProfileText(profileKey, encryptProfileField(profileKey, "Out hiking 🥾", 128), "about"),
    "Out hiking 🥾",
  );
  assert.equal(decryptProfileText(profileKey, encryptProfileField(profileKey, "🦄", 32), "emoji"), "🦄");
  assert.equal(decryptProfileText(profileKey, encryptProfileField(profileKey, "", 32), "emoji"), null);
});

test("a field encrypted with another profile key, tampered or cut short is a ProfileDecryptionError", () => {
  const other = randomBytes(32);
  assert.throws(
    () => decryptProfileName(profileKey, encryptProfileField(other, "Ada", 53)),
    (error) =>
      error instanceof ProfileDecryptionError && /profile key has probably changed/.test(error.message),
  );
  const tampered = Buffer.from(encryptProfileField(profileKey, "Ada", 53), "base64");
  tampered[15] = (tampered[15] ?? 0) ^ 1;
  assert.throws(() => decryptProfileBytes(profileKey, tampered, "name"), ProfileDecryptionError);
  assert.throws(
    () => decryptProfileBytes(profileKey, tampered.subarray(0, 20), "name"),
    ProfileDecryptionError,
  );
});

test("the access key is AES-256-GCM of 16 zero bytes under the profile key with a zero nonce", () => {
  const cipher = createCipheriv("aes-256-gcm", profileKey, Buffer.alloc(12));
  const expected = Buffer.concat([cipher.update(Buffer.alloc(16)), cipher.final()]);
  assert.ok(Buffer.from(deriveAccessKey(profileKey)).equals(expected));
});

test("the server's access-key verifier matches only the right access key", () => {
  const accessKey = deriveAccessKey(profileKey);
  const verifier = createHmac("sha256", accessKey).update(Buffer.alloc(32)).digest();
  assert.equal(accessKeyMatches(accessKey, verifier), true);
  assert.equal(accessKeyMatches(deriveAccessKey(randomBytes(32)), verifier), false);
  assert.equal(accessKeyMatches(accessKey, verifier.subarray(0, 16)), false);
});

test("the profile key version is 64 hex digits that depend on both the key and the ACI", () => {
  const aci = "6a9b1a20-5c55-4e9b-9f34-1c0d9e3b2a10";
  const version = profileKeyVersion(profileKey, aci);
  assert.match(version, /^[0-9a-f]{64}$/);
  assert.equal(profileKeyVersion(profileKey, aci), version);
  assert.notEqual(profileKeyVersion(randomBytes(32), aci), version);
  assert.notEqual(profileKeyVersion(profileKey, "11111111-2222-4333-8444-555555555555"), version);
});
