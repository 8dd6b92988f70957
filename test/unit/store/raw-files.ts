import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";

/** A file read raw, as an attacker copying the disk would get it. */
export interface RawFile {
  name: string;
  content: Buffer;
}

/** The database file plus its WAL, as an attacker copying the data directory would get them. */
export function rawFiles(databasePath: string): RawFile[] {
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

interface Needle {
  label: string;
  form: Buffer;
}

/**
 * The first needle found in `content`, in one pass over it (a PostgreSQL data directory is a
 * hundred megabytes or more; one indexOf per needle would read it hundreds of times). Needles are
 * indexed by their first three bytes; positions whose three bytes start no needle are skipped
 * after one table lookup.
 */
function firstNeedleIn(
  content: Buffer,
  needles: readonly Needle[],
  starts: Uint8Array,
  byStart: Map<number, Needle[]>,
) {
  for (const needle of needles) {
    if (needle.form.length < 3 && content.indexOf(needle.form) !== -1) return needle;
  }
  if (content.length < 3) return undefined;
  let key = (content[0]! << 8) | content[1]!;
  const last = content.length - 2;
  for (let i = 0; i < last; i++) {
    key = ((key << 8) | content[i + 2]!) & 0xffffff;
    if (starts[key] !== 1) continue;
    for (const needle of byStart.get(key)!) {
      const end = i + needle.form.length;
      if (end <= content.length && content.compare(needle.form, 0, needle.form.length, i, end) === 0) {
        return needle;
      }
    }
  }
  return undefined;
}

export function assertNotStored(files: readonly RawFile[], secrets: Record<string, Uint8Array | string>) {
  const needles = Object.entries(secrets).flatMap(([label, secret]) =>
    forms(secret).map((form) => ({ label, form })),
  );
  const starts = new Uint8Array(1 << 24);
  const byStart = new Map<number, Needle[]>();
  for (const needle of needles) {
    if (needle.form.length < 3) continue;
    const key = (needle.form[0]! << 16) | (needle.form[1]! << 8) | needle.form[2]!;
    starts[key] = 1;
    byStart.set(key, [...(byStart.get(key) ?? []), needle]);
  }
  for (const file of files) {
    const found = firstNeedleIn(file.content, needles, starts, byStart);
    assert.equal(found, undefined, `${found?.label} found in plaintext in ${file.name}`);
  }
}
