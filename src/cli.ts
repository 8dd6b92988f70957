#!/usr/bin/env node
/**
 * Composition root: parses flags, loads config, wires the layers together, starts and stops.
 * The only file that knows every layer.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import {
  MatrixCryptoUnavailableError,
  startBridge,
  UnsupportedConfigError,
  type RunningBridge,
} from "./bridge/index.js";
import {
  type BridgeConfig,
  ConfigError,
  generateRegistration,
  loadConfig,
  type Registration,
  renderSampleConfig,
} from "./config/index.js";
import { RotatingLogFile } from "./log-file.js";
import { createLogger, type Logger } from "./logger.js";
import {
  databaseSecrets,
  describeDatabase,
  formatCounts,
  migrateDatabase,
  openConfiguredStore,
  StoreError,
  type Store,
} from "./store/index.js";

const program = "signal-matrix-bridge";

const usage = `Usage: ${program} [options]
       ${program} migrate-db --from <sqlite file> --to <postgres uri> [--password-file <file>]

A Matrix application service that bridges Signal accounts, linked as secondary devices.

Options:
  -c, --config <file>            Config file (default: config.yaml).
  -e, --example-config <file>    Write the sample config (every key, described) to <file>, then exit.
  -r, --generate-registration    Write the appservice registration for the homeserver, then exit.
  -f, --file <file>              With -r: where to write it (default: appservice.registration from config).
  -u, --url <url>                With -r: URL the homeserver uses to reach the bridge
                                 (default: appservice.address from config).
  -V, --version                  Print the version.
  -h, --help                     Show this help.

Without -e or -r the bridge starts, using the registration file named by appservice.registration.

migrate-db copies a stopped bridge's SQLite database (database.path) into an empty PostgreSQL
database, then counts the rows of every table on both sides (exit status 1 if any differ):
  --from <file>                  The SQLite file; it must be at this version's schema
                                 (start this version of the bridge on it once first).
  --to <uri>                     postgres://user[:password]@host[:port]/database
  --password-file <file>         The PostgreSQL password, when the URI has none.
Afterwards set database.type: postgres and database.uri; keep the same key_file.`;

class UsageError extends Error {}

/** Something the operator has to do first; the message says what, and nothing more is needed. */
class SetupError extends Error {}

/** A path as it would be typed in a shell command. */
const shellArg = (path: string) => (/^[\w./@:+-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`);

/** The first steps, for someone who has no config yet. */
function firstSteps(configPath: string): string {
  const config = shellArg(configPath);
  return [
    `No config file at ${resolve(configPath)}. To set up the bridge:`,
    `  1. ${program} -e ${config}`,
    `       writes the sample config, every key with its description`,
    `  2. edit ${config}: homeserver.url, homeserver.domain and permissions at least`,
    `  3. ${program} -c ${config} -r`,
    `       writes the registration (appservice.registration, ./registration.yaml by default)`,
    `  4. add the registration to the homeserver's app_service_config_files and restart the homeserver`,
    `  5. ${program} -c ${config}`,
    `       starts the bridge; then send "help" to its bot in a direct chat`,
    `docs/setup.md has the details.`,
  ].join("\n");
}

function packageVersion(): string {
  // dist/src/cli.js -> the package's own package.json
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  return String(manifest.version);
}

function writeExampleConfig(path: string): string {
  const target = resolve(path);
  if (existsSync(target)) {
    throw new SetupError(
      `${target} exists already; the sample is not written over it. Pick another path or move the file away.`,
    );
  }
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, renderSampleConfig());
  return target;
}

/**
 * Node prints process warnings to stderr with a hint about --trace-deprecation; the ones seen
 * are deprecations inside libraries (htmlencode's util._extend), news for their developers, not
 * for operators. Once there is a logger, warnings go to the log: deprecations at debug, others
 * at warn. Before, other warnings go to stderr and deprecations wait for the logger.
 */
const describeWarning = (warning: Error) => {
  const code = (warning as { code?: string }).code;
  return `${warning.name}${code ? ` ${code}` : ""}: ${warning.message}`;
};
const earlyDeprecations: Error[] = [];
let logWarning = (warning: Error) => {
  if (warning.name === "DeprecationWarning") earlyDeprecations.push(warning);
  else process.stderr.write(`${describeWarning(warning)}\n`);
};
process.removeAllListeners("warning");
process.on("warning", (warning) => logWarning(warning));

function routeProcessWarnings(logger: Logger): void {
  logWarning = (warning) => {
    if (warning.name === "DeprecationWarning") logger.debug(describeWarning(warning));
    else logger.warn(describeWarning(warning));
  };
  for (const warning of earlyDeprecations.splice(0)) logWarning(warning);
}

interface CliOptions {
  configPath: string;
  generateRegistration: boolean;
  exampleConfig?: string;
  registrationFile?: string;
  url?: string;
  help: boolean;
  version: boolean;
}

function parseCli(argv: string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        config: { type: "string", short: "c", default: "config.yaml" },
        "example-config": { type: "string", short: "e" },
        "generate-registration": { type: "boolean", short: "r", default: false },
        file: { type: "string", short: "f" },
        url: { type: "string", short: "u" },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "V", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (!values["generate-registration"] && (values.file !== undefined || values.url !== undefined)) {
    throw new UsageError("-f/--file and -u/--url only apply together with -r/--generate-registration");
  }
  if (values["example-config"] !== undefined && values["generate-registration"]) {
    throw new UsageError(
      "-e/--example-config and -r/--generate-registration are separate steps: run them one after the other",
    );
  }
  return {
    configPath: values.config,
    generateRegistration: values["generate-registration"],
    help: values.help,
    version: values.version,
    ...(values["example-config"] !== undefined ? { exampleConfig: values["example-config"] } : {}),
    ...(values.file !== undefined ? { registrationFile: values.file } : {}),
    ...(values.url !== undefined ? { url: values.url } : {}),
  };
}

function writeRegistration(config: BridgeConfig, options: CliOptions): string {
  const path =
    options.registrationFile === undefined
      ? config.appservice.registration
      : resolve(options.registrationFile);
  if (options.url !== undefined) {
    try {
      new URL(options.url);
    } catch {
      throw new UsageError(
        `-u/--url: "${options.url}" is not a URL; write it in full, e.g. http://localhost:29328`,
      );
    }
  }
  const registration = generateRegistration(config, options.url);
  mkdirSync(dirname(path), { recursive: true });
  // The tokens in it let anyone act as the bridge: readable by its owner only.
  writeFileSync(path, toYaml(registration), { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

function readRegistration(config: BridgeConfig, configPath: string): Registration {
  const path = config.appservice.registration;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new ConfigError(configPath, [
      {
        key: "appservice.registration",
        problem: `cannot read ${path}`,
        fix: `generate it with "signal-matrix-bridge -c ${configPath} -r" and add it to the homeserver's app_service_config_files`,
      },
    ]);
  }
  const registration = parseYaml(text) as Partial<Registration> | null;
  if (!registration?.as_token || !registration.hs_token) {
    throw new ConfigError(configPath, [
      {
        key: "appservice.registration",
        problem: `${path} has no as_token/hs_token`,
        fix: "regenerate it with -r and restart the homeserver",
      },
    ]);
  }
  if (registration.sender_localpart !== config.appservice.bot.localpart) {
    throw new ConfigError(configPath, [
      {
        key: "appservice.bot.localpart",
        problem: `the registration's sender_localpart is "${registration.sender_localpart}" but the config says "${config.appservice.bot.localpart}"`,
        fix: "regenerate the registration with -r after changing the config, then restart the homeserver",
      },
    ]);
  }
  return registration as Registration;
}

/**
 * The bridge's logger: to stderr, and to the rotated log file when one is configured. The
 * appservice tokens and the provisioning secret are masked in every line, whoever logs them.
 */
function openLog(config: BridgeConfig, configPath: string, registration: Registration): Logger {
  const { level, format, file, max_size_mb, max_files } = config.logging;
  const toStderr = (line: string) => void process.stderr.write(line);
  let write = toStderr;
  if (file !== undefined) {
    let logFile: RotatingLogFile;
    try {
      logFile = new RotatingLogFile(file, {
        maxBytes: max_size_mb * 1024 * 1024,
        maxFiles: max_files,
        onError: (error) =>
          toStderr(`cannot write the log file ${file} (${error.message}); logging to stderr only\n`),
      });
    } catch (error) {
      throw new ConfigError(configPath, [
        {
          key: "logging.file",
          problem: `cannot open ${file}: ${(error as Error).message}`,
          fix: "point it at a file in a directory the bridge may write to, or remove the key",
        },
      ]);
    }
    write = (line) => {
      toStderr(line);
      logFile.write(line);
    };
  }
  const secrets = [
    registration.as_token,
    registration.hs_token,
    config.provisioning.shared_secret,
    ...databaseSecrets(config.database),
  ];
  return createLogger({
    level,
    format,
    write,
    secrets: secrets.filter((secret): secret is string => secret !== undefined),
  });
}

async function run(
  config: BridgeConfig,
  configPath: string,
  registration: Registration,
  logger: Logger,
): Promise<void> {
  logger.info(`config loaded from ${resolve(configPath)}`);
  logger.info(`registration "${registration.id}" loaded from ${config.appservice.registration}`);

  const store: Store = await openConfiguredStore(config.database, {
    onWriterLockLost: (error) => {
      // Another process may be writing by now: stopping is the only safe answer.
      logger.error(`${error.message}; stopping`);
      process.exit(1);
    },
  });
  logger.info(`database (${config.database.type}) opened at ${describeDatabase(config.database)}`);

  let running: RunningBridge;
  try {
    running = await startBridge({ config, registration, store, logger });
  } catch (error) {
    await store.close();
    throw error;
  }
  logger.info(`bridge started; talk to ${running.botUserId}`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal} received: shutting down`);
    running
      .stop()
      .then(() => store.close())
      .then(() => {
        logger.info("stopped cleanly");
        process.exit(0);
      })
      .catch((error) => {
        logger.error("shutdown failed", error);
        process.exit(1);
      });
  };
  // Each event's handling catches its own failures; a promise some library left unwatched must
  // not take down the bridge for every user, so it is logged as the bug it is instead.
  process.on("unhandledRejection", (reason) =>
    logger.error("unhandled rejection (a bug; the bridge goes on)", reason),
  );
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

interface MigrateDbCliOptions {
  from: string;
  to: string;
  passwordFile?: string;
}

function parseMigrateDb(argv: string[]): MigrateDbCliOptions | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        from: { type: "string" },
        to: { type: "string" },
        "password-file": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`migrate-db: ${(error as Error).message}`);
  }
  if (values.help) return "help";
  if (values.from === undefined || values.to === undefined) {
    throw new UsageError("migrate-db needs both --from <sqlite file> and --to <postgres uri>");
  }
  return {
    from: values.from,
    to: values.to,
    ...(values["password-file"] !== undefined ? { passwordFile: values["password-file"] } : {}),
  };
}

/** `migrate-db`: SQLite to PostgreSQL, then the row counts of both sides. */
async function runMigrateDb(argv: string[]): Promise<number> {
  const options = parseMigrateDb(argv);
  if (options === "help") {
    process.stdout.write(usage + "\n");
    return 0;
  }
  const from = resolve(options.from);
  if (!existsSync(from)) throw new SetupError(`--from: there is no file ${from}`);
  const result = await migrateDatabase({
    from,
    to: options.to,
    passwordFile: options.passwordFile,
    onProgress: (message) => process.stdout.write(`${message}\n`),
  });
  process.stdout.write(`\n${formatCounts(result)}\n`);
  if (!result.matches) return 1;
  process.stdout.write(
    `\nDone. In the config set database.type: postgres and database.uri (and password_file if used), ` +
      `keep database.key_file as it is, and start the bridge. Keep ${from} as a backup until it runs.\n`,
  );
  return 0;
}

/** Resolves to an exit code, or to undefined while the bridge keeps running. */
async function main(argv: string[]): Promise<number | undefined> {
  if (argv[0] === "migrate-db") return runMigrateDb(argv.slice(1));
  const options = parseCli(argv);
  if (options.help) {
    process.stdout.write(usage + "\n");
    return 0;
  }
  if (options.version) {
    process.stdout.write(`${program} ${packageVersion()}\n`);
    return 0;
  }
  if (options.exampleConfig !== undefined) {
    const path = writeExampleConfig(options.exampleConfig);
    const config = shellArg(options.exampleConfig);
    process.stdout.write(
      `Wrote the sample config to ${path}.\nEdit it (homeserver.url, homeserver.domain and permissions at least), then write the registration with "${program} -c ${config} -r".\n`,
    );
    return 0;
  }
  if (!existsSync(options.configPath)) throw new SetupError(firstSteps(options.configPath));
  const config = loadConfig(options.configPath);
  if (options.generateRegistration) {
    const path = writeRegistration(config, options);
    process.stdout.write(
      `Wrote the registration to ${path}.\nAdd it to the homeserver's app_service_config_files and restart the homeserver.\n`,
    );
    return 0;
  }
  const registration = readRegistration(config, options.configPath);
  const logger = openLog(config, options.configPath, registration);
  routeProcessWarnings(logger);
  await run(config, options.configPath, registration, logger);
  return undefined;
}

/** Errors whose message already tells the operator what to do; no stack trace needed. */
function isActionable(error: unknown): error is Error {
  return (
    error instanceof SetupError ||
    error instanceof ConfigError ||
    error instanceof StoreError ||
    error instanceof MatrixCryptoUnavailableError ||
    error instanceof UnsupportedConfigError
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${usage}\n`);
      process.exit(2);
    }
    process.stderr.write(
      isActionable(error)
        ? `${error.message}\n`
        : `Start-up failed: ${String((error as Error)?.stack ?? error)}\n`,
    );
    process.exit(1);
  },
);
