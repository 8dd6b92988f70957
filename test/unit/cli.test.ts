// The CLI as an operator uses it: flags, registration output and start-up errors.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { after, test } from "node:test";
import { parse, stringify } from "yaml";
import { freePort, projectRoot } from "../support/wait.js";

const cli = join(projectRoot, "dist/src/cli.js");
const dir = mkdtempSync(join(tmpdir(), "cli-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function runCli(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: "utf8", timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function writeConfig(name: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, name);
  const config = {
    homeserver: { url: "http://127.0.0.1:1", domain: "example.org" },
    permissions: { "example.org": "user" },
    database: { path: `${name}.db`, key_file: `${name}.key` },
    ...extra,
  };
  writeFileSync(file, stringify(config));
  return file;
}

test("--help prints the usage and exits 0", () => {
  const { code, stdout } = runCli("--help");
  assert.equal(code, 0);
  assert.match(stdout, /--generate-registration/);
  assert.match(stdout, /--config/);
});

test("an unknown flag exits 2 with the usage", () => {
  const { code, stderr } = runCli("--frobnicate");
  assert.equal(code, 2);
  assert.match(stderr, /Unknown option '--frobnicate'/);
  assert.match(stderr, /Usage:/);
});

test("-r writes a registration readable only by its owner, with -u overriding the URL", () => {
  const config = writeConfig("reg.yaml");
  const file = join(dir, "out/registration.yaml");
  const { code, stdout } = runCli("-c", config, "-r", "-f", file, "-u", "http://bridge.internal:9000");
  assert.equal(code, 0, stdout);
  assert.match(stdout, /app_service_config_files/);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const registration = parse(readFileSync(file, "utf8"));
  assert.equal(registration.url, "http://bridge.internal:9000");
  assert.equal(registration.sender_localpart, "signalbot");
  assert.equal(registration["de.sorunome.msc2409.push_ephemeral"], true);
});

test("a broken config stops start-up with the key, the problem and the fix, without a stack trace", () => {
  const file = join(dir, "broken.yaml");
  writeFileSync(file, "homeserver:\n  url: http://localhost:8008\npermissions:\n  '*': everyone\n");
  const { code, stderr } = runCli("-c", file);
  assert.equal(code, 1);
  assert.match(stderr, /homeserver\.domain: missing required key\. Fix: add it/);
  assert.match(
    stderr,
    /permissions\["\*"\]: string "everyone" is not allowed\. Fix: use one of: relay, user, admin/,
  );
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
});

test("a missing registration file names the command that makes it", () => {
  const config = writeConfig("noreg.yaml");
  const { code, stderr } = runCli("-c", config);
  assert.equal(code, 1);
  assert.match(stderr, /appservice\.registration: cannot read .*registration\.yaml/);
  assert.match(stderr, /-r/);
});

test("asking for encrypted portals without allowing encryption is a clear error", () => {
  const config = writeConfig("enc.yaml", { encryption: { default: true } });
  assert.equal(runCli("-c", config, "-r").code, 0);
  const { code, stderr } = runCli("-c", config);
  assert.equal(code, 1);
  assert.match(stderr, /encryption\.allow/);
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
});

test("--version prints the package's version", () => {
  const { version } = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as {
    version: string;
  };
  for (const flag of ["--version", "-V"]) {
    const { code, stdout } = runCli(flag);
    assert.equal(code, 0);
    assert.equal(stdout, `signal-matrix-bridge ${version}\n`);
  }
});

test("-e writes the sample config, which loads once the required keys are filled in; it never writes over a file", () => {
  const { code, stdout } = runCli("-e", "examples/config.yaml");
  assert.equal(code, 0);
  assert.match(stdout, /Wrote the sample config to .*examples\/config\.yaml/);
  assert.match(stdout, /signal-matrix-bridge -c examples\/config\.yaml -r/);
  const written = readFileSync(join(dir, "examples/config.yaml"), "utf8");
  assert.equal(written, readFileSync(join(projectRoot, "config.sample.yaml"), "utf8"));
  // The sample's example values are valid: -r works on it as it stands.
  const registration = runCli("-c", "examples/config.yaml", "-r");
  assert.equal(registration.code, 0, registration.stderr);

  const again = runCli("--example-config", "examples/config.yaml");
  assert.equal(again.code, 1);
  assert.match(again.stderr, /exists already; the sample is not written over it/);
  assert.equal(readFileSync(join(dir, "examples/config.yaml"), "utf8"), written);
});

test("a missing config file gives the exact commands that make one", () => {
  const { code, stderr } = runCli("-c", "nowhere.yaml");
  assert.equal(code, 1);
  assert.match(stderr, /No config file at .*nowhere\.yaml/);
  assert.match(stderr, /signal-matrix-bridge -e nowhere\.yaml\n/);
  assert.match(stderr, /signal-matrix-bridge -c nowhere\.yaml -r\n/);
  assert.match(stderr, /app_service_config_files/);
  assert.match(stderr, /signal-matrix-bridge -c nowhere\.yaml\n/);
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
  const byDefault = runCli();
  assert.equal(byDefault.code, 1);
  assert.match(byDefault.stderr, /signal-matrix-bridge -e config\.yaml\n/);
});

test("a log file that cannot be opened names logging.file", () => {
  writeFileSync(join(dir, "not-a-dir"), "");
  const config = writeConfig("badlog.yaml", { logging: { file: "not-a-dir/bridge.log" } });
  assert.equal(runCli("-c", config, "-r").code, 0);
  const { code, stderr } = runCli("-c", config);
  assert.equal(code, 1);
  assert.match(stderr, /logging\.file: cannot open .*not-a-dir\/bridge\.log/);
});

test("metrics.listen must be host:port with a port that exists", () => {
  const config = writeConfig("badmetrics.yaml", { metrics: { enabled: true, listen: "127.0.0.1:70000" } });
  const { code, stderr } = runCli("-c", config, "-r");
  assert.equal(code, 1);
  assert.match(stderr, /metrics\.listen: port 70000 is out of range/);
  const noPort = writeConfig("noport.yaml", { metrics: { listen: "localhost" } });
  assert.match(
    runCli("-c", noPort, "-r").stderr,
    /metrics\.listen: "localhost" is not valid\. Fix: write host:port/,
  );
});

test("a metrics listener that cannot listen stops start-up naming metrics.listen", async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  t.after(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const config = writeConfig("busymetrics.yaml", {
    appservice: { port: await freePort() },
    metrics: { enabled: true, listen: `127.0.0.1:${port}` },
  });
  assert.equal(runCli("-c", config, "-r").code, 0);
  const { code, stderr } = runCli("-c", config);
  assert.equal(code, 1);
  assert.match(
    stderr,
    new RegExp(`metrics\\.listen: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
  );
  assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
});
