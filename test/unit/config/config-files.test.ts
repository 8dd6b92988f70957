import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { renderConfigDocs, renderSampleConfig, validateConfig } from "../../../src/config/index.js";
import { projectRoot } from "../../support/wait.js";

test("config.sample.yaml is exactly what the schema renders (run `npm run config:files` after changing it)", () => {
  assert.equal(readFileSync(join(projectRoot, "config.sample.yaml"), "utf8"), renderSampleConfig());
});

test("docs/configuration.md is exactly what the schema renders", () => {
  assert.equal(readFileSync(join(projectRoot, "docs/configuration.md"), "utf8"), renderConfigDocs());
});

test("the sample config is itself a valid config", () => {
  const config = validateConfig(parse(renderSampleConfig()), "config.sample.yaml");
  assert.equal(config.homeserver.domain, "example.org");
  assert.equal(config.permissions["@admin:example.org"], "admin");
});

test("every key in the reference names its default or says it is required", () => {
  const rows = renderConfigDocs()
    .split("\n")
    .filter((line) => line.startsWith("| `"));
  assert.ok(rows.length >= 20, `expected a row per key, got ${rows.length}`);
  for (const row of rows) assert.match(row, /\| (required|\(unset\)|`.+`) \|/, row);
});
