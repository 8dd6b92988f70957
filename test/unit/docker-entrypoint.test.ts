// The container's entry script, run outside a container (no image can be built here: the base
// image comes from Docker Hub) with DATA_DIR pointing at a temporary directory: first start
// writes the config, second the registration, third runs the bridge on them.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse, stringify } from "yaml";
import { loadConfig } from "../../src/config/index.js";
import { freePort, projectRoot, waitFor } from "../support/wait.js";

const script = join(projectRoot, "docker/entrypoint.sh");
const bridgeCli = `${process.execPath} ${join(projectRoot, "dist/src/cli.js")}`;

function environment(dataDir: string) {
  return { ...process.env, DATA_DIR: dataDir, BRIDGE_CLI: bridgeCli };
}

function runEntry(dataDir: string, ...args: string[]) {
  const result = spawnSync("sh", [script, ...args], {
    env: environment(dataDir),
    encoding: "utf8",
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("first start writes the config with its files in the data directory, second the registration, third runs the bridge", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), "entry-data-"));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const configFile = join(dataDir, "config.yaml");

  const first = runEntry(dataDir);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`No config file was found, so one was written: ${configFile}`));
  assert.match(first.stdout, /homeserver\.url and homeserver\.domain/);
  assert.match(first.stdout, /start the container again/);
  assert.ok(!existsSync(join(dataDir, "registration.yaml")), "the registration waits for the edited config");
  const config = loadConfig(configFile);
  assert.equal(config.database.path, join(dataDir, "bridge.db"));
  assert.equal(config.database.key_file, join(dataDir, "bridge.key"));
  assert.equal(config.appservice.registration, join(dataDir, "registration.yaml"));
  assert.equal(config.appservice.hostname, "0.0.0.0", "reachable from outside the container");
  assert.equal(config.metrics.listen, "0.0.0.0:8001");
  assert.equal(config.metrics.enabled, false);
  assert.match(readFileSync(configFile, "utf8"), /^# Signal bridge configuration/, "the comments stay");

  // The operator edits it (here: the homeserver, which is not running, and free ports).
  const [homeserverPort, appservicePort] = [await freePort(), await freePort()];
  const edited = parse(readFileSync(configFile, "utf8")) as Record<string, Record<string, unknown>>;
  edited["homeserver"] = { url: `http://127.0.0.1:${homeserverPort}`, domain: "example.org" };
  edited["appservice"] = { ...edited["appservice"], hostname: "127.0.0.1", port: appservicePort };
  writeFileSync(configFile, stringify(edited));

  const second = runEntry(dataDir);
  assert.equal(second.code, 0, second.stderr);
  const registrationFile = join(dataDir, "registration.yaml");
  assert.match(
    second.stdout,
    new RegExp(`No registration was found, so one was written: ${registrationFile}`),
  );
  assert.match(second.stdout, /app_service_config_files/);
  assert.equal(statSync(registrationFile).mode & 0o777, 0o600);
  assert.equal(
    (parse(readFileSync(registrationFile, "utf8")) as { url: string }).url,
    "http://localhost:29328",
  );

  const bridge = spawn("sh", [script], { env: environment(dataDir), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  bridge.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  bridge.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  t.after(() => bridge.kill("SIGKILL"));
  await waitFor(() => output.includes("cannot reach the homeserver"), {
    timeoutMs: 30_000,
    what: () => `the bridge to start and wait for its homeserver; it logged:\n${output}`,
  });
  assert.ok(output.includes(`database (sqlite) opened at ${join(dataDir, "bridge.db")}`), output);
  assert.ok(existsSync(join(dataDir, "bridge.key")));
  // The script gave way to the bridge (exec): the container's process is the bridge itself, so
  // a stop reaches it.
  const command = readFileSync(`/proc/${bridge.pid}/cmdline`, "utf8").split("\0");
  assert.equal(command[0], process.execPath);
  assert.ok(command.includes("-c") && command.includes(configFile), command.join(" "));
});

test("arguments go to the bridge's command line", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "entry-args-"));
  try {
    const { code, stdout } = runEntry(dataDir, "--version");
    assert.equal(code, 0);
    assert.match(stdout, /^signal-matrix-bridge \d+\.\d+\.\d+\n$/);
    assert.ok(!existsSync(join(dataDir, "config.yaml")), "no first-start steps then");
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a data directory that is not there is named, with what to do", () => {
  const missing = join(tmpdir(), `entry-missing-${process.pid}`);
  const { code, stderr } = runEntry(missing);
  assert.equal(code, 1);
  assert.match(
    stderr,
    new RegExp(`${missing} is not a directory this container's user \\(\\d+:\\d+\\) may write to`),
  );
});
