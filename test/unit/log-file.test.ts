// The log file: appended to, rotated by size, only so many old files kept.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RotatingLogFile } from "../../src/log-file.js";

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), "log-file-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("lines are appended to an existing file, which only its owner may read", (t) => {
  const path = join(tempDir(t), "logs", "bridge.log");
  const first = new RotatingLogFile(path, { maxBytes: 1024, maxFiles: 2 });
  first.write("one\n");
  first.close();
  const second = new RotatingLogFile(path, { maxBytes: 1024, maxFiles: 2 });
  second.write("two\n");
  second.close();
  assert.equal(readFileSync(path, "utf8"), "one\ntwo\n");
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test("a file that would grow past the size is rotated; the oldest beyond max files is dropped", (t) => {
  const path = join(tempDir(t), "bridge.log");
  const file = new RotatingLogFile(path, { maxBytes: 10, maxFiles: 2 });
  for (const n of [1, 2, 3, 4, 5, 6, 7]) file.write(`line ${n}\n`); // 7 bytes each: one per file
  file.close();
  assert.equal(readFileSync(path, "utf8"), "line 7\n");
  assert.equal(readFileSync(`${path}.1`, "utf8"), "line 6\n");
  assert.equal(readFileSync(`${path}.2`, "utf8"), "line 5\n");
  assert.ok(!existsSync(`${path}.3`), "only max_files rotated files are kept");
});

test("lines fill a file up to the size before it is rotated", (t) => {
  const path = join(tempDir(t), "bridge.log");
  writeFileSync(path, "old\n");
  const file = new RotatingLogFile(path, { maxBytes: 12, maxFiles: 1 });
  file.write("abcd\n"); // 4 + 5 = 9 bytes
  file.write("efgh\n"); // would be 14: rotated first
  file.close();
  assert.equal(readFileSync(`${path}.1`, "utf8"), "old\nabcd\n");
  assert.equal(readFileSync(path, "utf8"), "efgh\n");
});

test("a write that fails is told once and does not throw", (t) => {
  const path = join(tempDir(t), "bridge.log");
  const errors: Error[] = [];
  const file = new RotatingLogFile(path, { maxBytes: 1024, maxFiles: 1, onError: (e) => errors.push(e) });
  file.close();
  // Closed under it, as a disk failing would: the writes fail.
  (file as unknown as { fd: number }).fd = 987654;
  assert.doesNotThrow(() => {
    file.write("lost\n");
    file.write("lost too\n");
  });
  assert.equal(errors.length, 1);
});
