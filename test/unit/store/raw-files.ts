import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";

/** The database file plus its WAL, as an attacker copying the data directory would get them. */
export function rawFiles(databasePath: string): { name: string; content: Buffer }[] {
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

export function assertNotStored(
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
