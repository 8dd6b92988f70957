// Regenerates config.sample.yaml and docs/configuration.md from the config schema.
import { mkdirSync, writeFileSync } from "node:fs";
import { renderConfigDocs, renderSampleConfig } from "../src/config/index.js";

mkdirSync("docs", { recursive: true });
writeFileSync("config.sample.yaml", renderSampleConfig());
writeFileSync("docs/configuration.md", renderConfigDocs());
console.log("wrote config.sample.yaml and docs/configuration.md");
