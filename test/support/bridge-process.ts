/**
 * The bridge as a user runs it: its CLI in a child process, with a config file in a temporary
 * directory. Generates the registration through the CLI (-r) so the homeserver can load it.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { newBridgeDatabase, watchLogForSecret } from "./bridge-database.js";
import { freePort, projectRoot, waitFor } from "./wait.js";

const run = promisify(execFile);
const cli = join(projectRoot, "dist/src/cli.js");

export interface BridgeProcess {
  dir: string;
  /** Where the bridge's HTTP listener is, e.g. http://127.0.0.1:12345. */
  url: string;
  configFile: string;
  registrationFile: string;
  /**
   * The PostgreSQL URI of the bridge's database (BRIDGE_TEST_DATABASE=postgres, see
   * bridge-database.ts), or undefined on SQLite.
   */
  databaseUri: string | undefined;
  botUserId: string;
  /** Where the homeserver reaches the bridge: `http://127.0.0.1:<appservice port>`. */
  appserviceUrl: string;
  /** The process id of the running bridge, or undefined while it is not running. */
  readonly pid: number | undefined;
  /** Everything the bridge logged so far. */
  output(): string;
  /** Whether the bridge process is running. */
  running(): boolean;
  /**
   * Starts the bridge (again, after a stop) and waits until it says it has started, unless
   * `waitForStarted` is false (a bridge that has to wait for its homeserver).
   */
  start(options?: { waitForStarted?: boolean }): Promise<void>;
  /** SIGTERM (or the given signal) and wait for exit; resolves to the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  cleanup(): Promise<void>;
}

export interface BridgeSetup {
  homeserverUrl: string;
  serverName: string;
  permissions: Record<string, string>;
  /**
   * Extra top-level config sections, merged key by key into the defaults' sections. A `database`
   * section with a `uri` replaces the bridge's own database (e.g. a second bridge on another's
   * PostgreSQL database).
   */
  extraConfig?: Record<string, unknown>;
  /** Sets appservice.public_address to the listener's own address (for the web login page). */
  publicAddress?: boolean;
}

/** Writes a config, runs `-r`, and returns a handle to start the bridge once the homeserver knows it. */
export async function prepareBridge(setup: BridgeSetup): Promise<BridgeProcess> {
  const dir = await mkdtemp(join(tmpdir(), "bridge-"));
  const port = await freePort();
  const configFile = join(dir, "config.yaml");
  const registrationFile = join(dir, "registration.yaml");
  const givenDatabase = setup.extraConfig?.["database"];
  const database =
    isMapping(givenDatabase) && typeof givenDatabase["uri"] === "string"
      ? {
          section: { key_file: "bridge.key" },
          uri: givenDatabase["uri"],
          secret: decodeURIComponent(new URL(givenDatabase["uri"]).password) || undefined,
        }
      : await newBridgeDatabase();
  const config = {
    homeserver: { url: setup.homeserverUrl, domain: setup.serverName },
    appservice: {
      hostname: "127.0.0.1",
      port,
      address: `http://127.0.0.1:${port}`,
      registration: "registration.yaml",
      ...(setup.publicAddress ? { public_address: `http://127.0.0.1:${port}` } : {}),
    },
    database: database.section,
    permissions: setup.permissions,
    logging: { level: "debug" },
  };
  for (const [name, section] of Object.entries(setup.extraConfig ?? {})) {
    const base = (config as Record<string, unknown>)[name];
    (config as Record<string, unknown>)[name] =
      isMapping(base) && isMapping(section) ? { ...base, ...section } : section;
  }
  await writeFile(configFile, stringify(config));
  await run(process.execPath, [cli, "-c", configFile, "-r"], { cwd: dir });

  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);
  let output = "";
  const handle: BridgeProcess = {
    dir,
    url: `http://127.0.0.1:${port}`,
    configFile,
    registrationFile,
    databaseUri: database.uri,
    botUserId: `@signalbot:${setup.serverName}`,
    appserviceUrl: `http://127.0.0.1:${port}`,
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    output: () => output,
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    async start({ waitForStarted = true } = {}) {
      const startedAt = output.length;
      // E2E_BRIDGE_NODE_ARGS: Node options for the bridge process only (e.g. `--cpu-prof
      // --cpu-prof-dir=/tmp/prof`: the profile is written when the bridge stops by SIGTERM).
      const nodeArgs = (process.env["E2E_BRIDGE_NODE_ARGS"] ?? "").split(" ").filter(Boolean);
      const process_ = spawn(process.execPath, [...nodeArgs, cli, "-c", configFile], {
        cwd: dir,
        stdio: ["ignore", "pipe", "pipe"],
      });
      child = process_;
      exited = new Promise((resolve) => process_.once("exit", (code) => resolve(code)));
      const collect = (chunk: Buffer) => (output += chunk.toString());
      process_.stdout?.on("data", collect);
      process_.stderr?.on("data", collect);
      if (!waitForStarted) return;
      await waitFor(
        () => {
          if (process_.exitCode !== null)
            throw new Error(`the bridge exited with ${process_.exitCode}:\n${output}`);
          return output.includes("bridge started", startedAt);
        },
        { timeoutMs: 60_000, what: () => `the bridge to log "bridge started"; it logged:\n${output}` },
      );
    },
    async stop(signal = "SIGTERM") {
      if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
      child.kill(signal);
      const forced = setTimeout(() => child?.kill("SIGKILL"), 20_000);
      const code = await exited;
      clearTimeout(forced);
      return code;
    },
    async cleanup() {
      await handle.stop("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
  if (database.secret) watchLogForSecret(() => output, database.secret);
  return handle;
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Runs `body`; a failure carries the end of the bridge's log, which usually says why. */
export async function withBridgeLog(bridge: BridgeProcess, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const log = bridge.output().split("\n").slice(-40).join("\n");
    throw new Error(`${(error as Error).message}\n--- bridge log (last lines) ---\n${log}`, { cause: error });
  }
}
