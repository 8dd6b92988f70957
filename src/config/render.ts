import { stringify } from "yaml";
import type { Field } from "./schema-dsl.js";
import { configSchema } from "./schema.js";

const indentUnit = "  ";

function yamlScalar(value: unknown): string {
  return stringify(value).trimEnd();
}

function yamlKey(key: string): string {
  return /^[A-Za-z0-9_.@-]+$/.test(key) && !key.includes(":") ? key : JSON.stringify(key);
}

function commentLines(text: string, indent: string): string[] {
  return text.split("\n").map((line) => `${indent}# ${line}`);
}

function renderField(name: string, field: Field<unknown>, depth: number): string[] {
  const indent = indentUnit.repeat(depth);
  const lines = commentLines(field.description, indent);
  if (field.kind === "section") {
    lines.push(`${indent}${name}:`);
    for (const [childName, child] of Object.entries(field.fields)) {
      lines.push(...renderField(childName, child, depth + 1));
    }
    return lines;
  }
  const value = field.example ?? field.default;
  if (field.kind === "map") {
    lines.push(`${indent}${name}:`);
    for (const [key, entry] of Object.entries((value ?? {}) as Record<string, unknown>)) {
      lines.push(`${indent}${indentUnit}${yamlKey(key)}: ${yamlScalar(entry)}`);
    }
    return lines;
  }
  if (value === undefined) {
    lines.push(`${indent}#${name}:`);
  } else {
    const required = field.default === undefined && !field.optional;
    lines.push(`${indent}${name}: ${yamlScalar(value)}${required ? " # required" : ""}`);
  }
  return lines;
}

/** The sample config file, with every key, its default or an example, and its description. */
export function renderSampleConfig(): string {
  const header = [
    "# Signal bridge configuration. Generated from src/config/schema.ts: edit the schema, then run",
    "# `npm run config:files`. Keys marked required have no default; everything else may be left out.",
    "",
  ];
  const body = Object.entries(configSchema.fields).flatMap(([name, field]) => [
    ...renderField(name, field, 0),
    "",
  ]);
  return [...header, ...body].join("\n").trimEnd() + "\n";
}

function docRows(prefix: string, field: Field<unknown>): string[] {
  if (field.kind === "section") {
    return Object.entries(field.fields).flatMap(([name, child]) =>
      docRows(prefix ? `${prefix}.${name}` : name, child),
    );
  }
  const fallback = field.optional ? "(unset)" : "required";
  const shown = field.default === undefined ? fallback : `\`${JSON.stringify(field.default)}\``;
  const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");
  return [`| \`${prefix}\` | ${cell(field.typeName)} | ${cell(shown)} | ${cell(field.description)} |`];
}

/** The configuration reference in Markdown. */
export function renderConfigDocs(): string {
  return [
    "# Configuration reference",
    "",
    "Generated from `src/config/schema.ts` by `npm run config:files`; do not edit by hand.",
    "Start from `config.sample.yaml`. A wrong or missing key stops start-up with a message",
    "naming the key, the problem and the fix. Relative paths are taken from the config file's directory.",
    "",
    "| key | type | default | meaning |",
    "| --- | --- | --- | --- |",
    ...docRows("", configSchema),
    "",
  ].join("\n");
}
