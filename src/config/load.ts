import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseDocument } from "yaml";
import { configSchema, type BridgeConfig } from "./schema.js";
import type { ConfigProblem, Field } from "./schema-dsl.js";

/** A configuration that cannot be used; the message lists every problem with its fix. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `Invalid configuration in ${source}:\n` +
        problems.map((p) => `  - ${p.key}: ${p.problem}. Fix: ${p.fix}.`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Validates an already parsed YAML/JSON value against the schema. */
export function validateConfig(raw: unknown, source = "configuration"): BridgeConfig {
  const problems: ConfigProblem[] = [];
  const config = configSchema.parse(raw, "", problems);
  if (config && problems.length === 0) problems.push(...crossFieldProblems(config));
  if (problems.length > 0 || !config) throw new ConfigError(source, problems);
  return config;
}

/** Reads and validates a YAML config file. */
export function loadConfig(path: string): BridgeConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "the file does not exist" : String(error);
    throw new ConfigError(path, [
      {
        key: "(file)",
        problem: reason,
        fix: "pass the path of your config with -c, starting from config.sample.yaml",
      },
    ]);
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      path,
      document.errors.map((e) => ({
        key: "(YAML syntax)",
        problem: e.message.split("\n")[0] ?? e.message,
        fix: "correct the YAML at the line shown (indent with spaces, quote values containing ': ' or '#')",
      })),
    );
  }
  const config = validateConfig(document.toJS(), path);
  resolvePaths(configSchema, config as unknown as Record<string, unknown>, dirname(resolve(path)));
  return config;
}

/** Makes every path key absolute, relative to the config file's directory. */
function resolvePaths(schema: Field<unknown>, value: Record<string, unknown>, baseDir: string): void {
  if (schema.kind !== "section") return;
  for (const [name, field] of Object.entries(schema.fields)) {
    const child = value[name];
    if (field.kind === "section" && child && typeof child === "object") {
      resolvePaths(field, child as Record<string, unknown>, baseDir);
    } else if (field.kind === "leaf" && field.typeName === "path" && typeof child === "string") {
      value[name] = resolve(baseDir, child);
    }
  }
}

/** Rules that span several keys; they run only on a config whose keys are individually valid. */
function crossFieldProblems(config: BridgeConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.signal.environment === "local") {
    const needed = [
      "port",
      "ca_file",
      "trust_root",
      "server_public_params",
      "generic_server_public_params",
      "backup_server_public_params",
    ] as const;
    for (const key of needed) {
      if (config.signal.local[key] === undefined) {
        problems.push({
          key: `signal.local.${key}`,
          problem: "required when signal.environment is local",
          fix: "set it to the local test server's value, or set signal.environment to production",
        });
      }
    }
  }
  // The pattern admits five digits; the range is checked here.
  const port = Number(/:(\d+)$/.exec(config.metrics.listen)?.[1]);
  if (!(port >= 1 && port <= 65535)) {
    problems.push({
      key: "metrics.listen",
      problem: `port ${port} is out of range`,
      fix: "use a port between 1 and 65535, e.g. 127.0.0.1:8001",
    });
  }
  return problems;
}
