// The house plan's import rules (../shared/docs/architecture.md): layers import only downwards,
// and other layers only through their public index.ts.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { projectRoot } from "../../support/wait.js";

const srcDir = join(projectRoot, "src");

interface ImportRef {
  file: string;
  specifier: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

function importsOf(layer: string): ImportRef[] {
  const files = sourceFiles(join(srcDir, layer));
  assert.ok(files.length > 0, `no sources in src/${layer}`);
  return files.flatMap((path) => {
    const source = readFileSync(path, "utf8");
    const file = relative(srcDir, path);
    const pattern = /^\s*(?:import|export)\s+(type\s+)?(?:[^;"']*?\s+from\s+)?["']([^"']+)["']/gm;
    return [...source.matchAll(pattern)].map((m) => ({
      file,
      specifier: m[2]!,
      typeOnly: m[1] !== undefined,
    }));
  });
}

/** Where a relative import lands, as a path under src/. */
function target(ref: ImportRef): string {
  return relative(srcDir, join(srcDir, ref.file, "..", ref.specifier));
}

function assertOnly(layer: string, allowed: (ref: ImportRef) => boolean): void {
  const bad = importsOf(layer).filter((ref) => !allowed(ref));
  assert.deepEqual(
    bad.map((ref) => `${ref.file} imports "${ref.specifier}"`),
    [],
    `src/${layer} breaks the import rules`,
  );
}

const isNodeBuiltin = (ref: ImportRef) => ref.specifier.startsWith("node:");
const within = (layer: string) => (ref: ImportRef) =>
  ref.specifier.startsWith(".") && target(ref).startsWith(`${layer}/`);
const publicEntryOf = (layer: string) => (ref: ImportRef) =>
  ref.specifier.startsWith(".") && target(ref) === `${layer}/index.js`;
const generatedProto = (ref: ImportRef) =>
  ref.specifier.startsWith(".") && target(ref) === "proto/generated/signal.js";

test("signal/ imports only libsignal, generated protobuf code, Node built-ins and itself", () => {
  assertOnly(
    "signal",
    (ref) =>
      within("signal")(ref) ||
      isNodeBuiltin(ref) ||
      generatedProto(ref) ||
      ref.specifier.startsWith("@signalapp/libsignal-client"),
  );
});

test("convert/ is pure: itself, protobuf types and the htmlparser2 parser", () => {
  assertOnly(
    "convert",
    (ref) =>
      within("convert")(ref) || ref.specifier === "htmlparser2" || (ref.typeOnly && generatedProto(ref)),
  );
});

test("store/ uses SQLite, PostgreSQL (pg), Node and only the public entry of signal/", () => {
  assertOnly(
    "store",
    (ref) =>
      within("store")(ref) ||
      isNodeBuiltin(ref) ||
      ref.specifier === "better-sqlite3" ||
      ref.specifier === "pg" ||
      publicEntryOf("signal")(ref) ||
      generatedProto(ref),
  );
});

test("config/ depends on nothing but YAML and Node", () => {
  assertOnly("config", (ref) => within("config")(ref) || isNodeBuiltin(ref) || ref.specifier === "yaml");
});

test("bridge/ reaches other layers only through their public entries", () => {
  assertOnly(
    "bridge",
    (ref) =>
      within("bridge")(ref) ||
      isNodeBuiltin(ref) ||
      !ref.specifier.startsWith(".") ||
      ["signal", "convert", "store", "config"].some((layer) => publicEntryOf(layer)(ref)) ||
      target(ref) === "logger.js",
  );
});

test("nothing imports the composition root", () => {
  for (const layer of ["signal", "convert", "store", "config", "bridge"]) {
    assertOnly(layer, (ref) => !(ref.specifier.startsWith(".") && target(ref) === "cli.js"));
  }
});

/** Rooms of bridge/ that show the rest of it one surface, their index.ts. */
const roomsWithIndex = ["ops", "relay-mode", "groups"];

for (const room of roomsWithIndex) {
  test(`the rest of bridge/ reaches its ${room}/ room only through ${room}/index.ts`, () => {
    assertOnly(
      "bridge",
      (ref) =>
        ref.file.startsWith(`bridge/${room}/`) ||
        !ref.specifier.startsWith(".") ||
        !target(ref).startsWith(`bridge/${room}/`) ||
        target(ref) === `bridge/${room}/index.js`,
    );
  });
}

test("only bridge/ops/ imports prom-client", () => {
  for (const layer of ["signal", "convert", "store", "config", "bridge"]) {
    assertOnly(layer, (ref) => ref.specifier !== "prom-client" || ref.file.startsWith("bridge/ops/"));
  }
});
