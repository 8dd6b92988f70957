// convert/ is pure: it may import its own files, protobuf *types*, and htmlparser2 (a pure parser).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const convertDir = fileURLToPath(new URL("../../../../src/convert/", import.meta.url));

test("convert/ imports nothing with side effects: only itself, protobuf types and htmlparser2", () => {
  const files = readdirSync(convertDir).filter((name) => name.endsWith(".ts"));
  assert.ok(files.length > 5, `no sources found in ${convertDir}`);
  for (const file of files) {
    const source = readFileSync(convertDir + file, "utf8");
    for (const match of source.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gms)) {
      const [, , typeOnly, specifier] = match;
      const allowed =
        specifier?.startsWith("./") ||
        specifier === "htmlparser2" ||
        (typeOnly !== undefined && specifier === "../proto/generated/signal.js");
      assert.ok(allowed, `${file} imports "${specifier}"${typeOnly ? " (types)" : ""}`);
    }
  }
});
