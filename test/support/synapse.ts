/**
 * A real Synapse homeserver for end-to-end tests: installed from PyPI into a project-local
 * virtual environment (scripts/ensure-synapse.sh), configured in a temporary directory,
 * listening on an ephemeral loopback port, stopped with SIGTERM afterwards.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { freePort, projectRoot, waitFor } from "./wait.js";

const run = promisify(execFile);

export interface MatrixCredentials {
  userId: string;
  accessToken: string;
  deviceId: string;
  password: string;
}

export interface Synapse {
  url: string;
  serverName: string;
  /** Synapse's log file (removed with its directory by `stop()`). */
  logFile: string;
  /** Creates a user with the shared-secret admin API and returns its credentials (and first device). */
  registerUser(localpart: string, options?: { admin?: boolean }): Promise<MatrixCredentials>;
  /** Logs `credentials`' user in again: a new device. */
  login(credentials: MatrixCredentials): Promise<MatrixCredentials>;
  /** The end of Synapse's log, for failure messages. */
  logTail(lines?: number): Promise<string>;
  /**
   * SIGTERM and wait for exit. Without `keep` the directory (database, keys, media) is removed;
   * with it, `start()` brings the same homeserver back.
   */
  stop(options?: { keep?: boolean }): Promise<void>;
  /** Starts Synapse again on the same port and database after `stop({ keep: true })`. */
  start(): Promise<void>;
  /** `stop({ keep: true })`, then `start()`. */
  restart(): Promise<void>;
  /** SIGSTOP: the process holds its connections but answers nothing until `thaw()`. */
  freeze(): void;
  /** SIGCONT after `freeze()`. */
  thaw(): void;
}

async function synapsePython(): Promise<string> {
  const { stdout } = await run("bash", [join(projectRoot, "scripts/ensure-synapse.sh")], {
    maxBuffer: 10 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  return stdout.trim().split("\n").pop() ?? "";
}

function homeserverConfig(dir: string, port: number, secret: string, appserviceFiles: string[]) {
  const generous = { per_second: 1000, burst_count: 1000 };
  return {
    server_name: "localhost",
    public_baseurl: `http://127.0.0.1:${port}/`,
    pid_file: join(dir, "homeserver.pid"),
    listeners: [
      {
        port,
        bind_addresses: ["127.0.0.1"],
        type: "http",
        tls: false,
        x_forwarded: false,
        resources: [{ names: ["client"], compress: false }],
      },
    ],
    database: { name: "sqlite3", args: { database: join(dir, "homeserver.db") } },
    log_config: join(dir, "log.yaml"),
    media_store_path: join(dir, "media"),
    signing_key_path: join(dir, "signing.key"),
    report_stats: false,
    enable_registration: false,
    registration_shared_secret: secret,
    macaroon_secret_key: randomBytes(16).toString("hex"),
    form_secret: randomBytes(16).toString("hex"),
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    federation_domain_whitelist: [],
    app_service_config_files: appserviceFiles,
    rc_message: generous,
    rc_registration: generous,
    rc_login: { address: generous, account: generous, failed_attempts: generous },
    rc_joins: { local: generous, remote: generous },
    rc_joins_per_room: generous,
    rc_invites: { per_room: generous, per_user: generous, per_issuer: generous },
    rc_admin_redaction: generous,
    rc_3pid_validation: generous,
    // End-to-bridge encryption: to-device messages, device lists and key counts in transactions.
    experimental_features: { msc2409_to_device_messages_enabled: true, msc3202_transaction_extensions: true },
  };
}

const logConfig = (file: string) => ({
  version: 1,
  formatters: { precise: { format: "%(asctime)s %(levelname)s %(name)s %(message)s" } },
  handlers: { file: { class: "logging.FileHandler", formatter: "precise", filename: file } },
  root: { level: "INFO", handlers: ["file"] },
  disable_existing_loggers: false,
});

/**
 * Starts Synapse with the given appservice registration files. Pass `port` (from `freePort()`)
 * when the bridge's config must name the homeserver URL before Synapse starts.
 */
export async function startSynapse(
  options: { appserviceFiles?: string[]; port?: number } = {},
): Promise<Synapse> {
  const python = await synapsePython();
  const dir = await mkdtemp(join(tmpdir(), "synapse-"));
  const port = options.port ?? (await freePort());
  const secret = randomBytes(16).toString("hex");
  const configFile = join(dir, "homeserver.yaml");
  const logFile = join(dir, "homeserver.log");
  await writeFile(configFile, stringify(homeserverConfig(dir, port, secret, options.appserviceFiles ?? [])));
  await writeFile(join(dir, "log.yaml"), stringify(logConfig(logFile)));
  await run(python, ["-m", "synapse.app.homeserver", "-c", configFile, "--generate-keys"], { cwd: dir });

  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stderr = "";
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const logTail = async (lines = 40) => {
    const text = await readFile(logFile, "utf8").catch(() => "");
    return text.split("\n").slice(-lines).join("\n") + (stderr ? `\nstderr:\n${stderr}` : "");
  };
  const terminate = async () => {
    if (!child || !running()) return;
    // A frozen process would hold SIGTERM until continued.
    child.kill("SIGCONT");
    child.kill("SIGTERM");
    const process_ = child;
    const timer = setTimeout(() => process_.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  };
  const stop = async (options: { keep?: boolean } = {}) => {
    await terminate();
    if (!options.keep) await rm(dir, { recursive: true, force: true });
  };
  const start = async () => {
    if (running()) throw new Error("Synapse is already running");
    stderr = "";
    const process_ = spawn(python, ["-m", "synapse.app.homeserver", "-c", configFile], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
    });
    child = process_;
    process_.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    exited = new Promise<void>((resolve) => process_.once("exit", () => resolve()));
    try {
      await waitFor(
        async () => {
          if (process_.exitCode !== null)
            throw new Error(`Synapse exited with code ${process_.exitCode}:\n${await logTail()}`);
          const response = await fetch(`${url}/_matrix/client/versions`).catch(() => undefined);
          return response?.ok === true;
        },
        { timeoutMs: 120_000, what: `Synapse answering on ${url}` },
      );
    } catch (error) {
      await terminate();
      throw error;
    }
  };
  const signal = (name: NodeJS.Signals) => {
    if (!child || !running()) throw new Error(`Synapse is not running (wanted to send ${name})`);
    child.kill(name);
  };

  try {
    await start();
  } catch (error) {
    await stop();
    throw error;
  }

  const registerUser = async (localpart: string, opts: { admin?: boolean } = {}) => {
    const endpoint = `${url}/_synapse/admin/v1/register`;
    const { nonce } = (await (await fetch(endpoint)).json()) as { nonce: string };
    const password = randomBytes(12).toString("hex");
    const admin = opts.admin ?? false;
    const mac = createHmac("sha1", secret)
      .update([nonce, localpart, password, admin ? "admin" : "notadmin"].join("\0"))
      .digest("hex");
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ nonce, username: localpart, password, admin, mac }),
    });
    if (!response.ok)
      throw new Error(`registering ${localpart} failed: ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { user_id: string; access_token: string; device_id: string };
    return { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id, password };
  };
  const login = async (credentials: MatrixCredentials) => {
    const response = await fetch(`${url}/_matrix/client/v3/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        type: "m.login.password",
        identifier: { type: "m.id.user", user: credentials.userId },
        password: credentials.password,
      }),
    });
    if (!response.ok) throw new Error(`logging in ${credentials.userId} failed: ${response.status}`);
    const body = (await response.json()) as { access_token: string; device_id: string };
    return { ...credentials, accessToken: body.access_token, deviceId: body.device_id };
  };

  return {
    url,
    serverName: "localhost",
    logFile,
    registerUser,
    login,
    logTail,
    stop,
    start,
    restart: async () => {
      await stop({ keep: true });
      await start();
    },
    freeze: () => signal("SIGSTOP"),
    thaw: () => signal("SIGCONT"),
  };
}
