import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, loadConfig, validateConfig } from "../../../src/config/index.js";

const minimal = {
  homeserver: { url: "http://localhost:8008", domain: "example.org" },
  permissions: { "example.org": "user" },
};

function problemsOf(raw: unknown): { key: string; problem: string; fix: string }[] {
  try {
    validateConfig(raw);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail("the config was accepted");
}

test("a minimal config gets every default", () => {
  const config = validateConfig(minimal);
  assert.equal(config.appservice.port, 29328);
  assert.equal(config.appservice.bot.localpart, "signalbot");
  assert.equal(config.appservice.ghosts.localpart_template, "signal_{aci}");
  assert.equal(config.signal.environment, "production");
  assert.equal(config.encryption.allow, false);
  assert.equal(config.logging.level, "info");
  assert.equal(config.homeserver.url, "http://localhost:8008");
});

test("missing required keys are named with a fix", () => {
  const problems = problemsOf({});
  const keys = problems.map((p) => p.key).sort();
  assert.deepEqual(keys, ["homeserver.domain", "homeserver.url", "permissions"]);
  for (const p of problems) {
    assert.equal(p.problem, "missing required key");
    assert.match(p.fix, /^add it/);
  }
});

test("wrong types, ranges, unknown keys and bad values all reported at once", () => {
  const problems = problemsOf({
    ...minimal,
    homeserver: { url: "localhost:8008", domain: "https://example.org" },
    appservice: { port: 70000, bott: {} },
    logging: { level: "verbose" },
    permissions: { "*": "superuser", "not a valid entry": "user" },
  });
  const byKey = new Map(problems.map((p) => [p.key, p]));
  assert.match(byKey.get("homeserver.url")!.fix, /http:\/\//);
  assert.match(byKey.get("homeserver.domain")!.fix, /bare server name/);
  assert.match(byKey.get("appservice.port")!.problem, /out of range/);
  assert.match(byKey.get("appservice.bott")!.problem, /unknown key/);
  assert.match(byKey.get("appservice.bott")!.fix, /known keys here: .*bot/);
  assert.match(byKey.get("logging.level")!.fix, /debug, info, warn, error/);
  assert.match(byKey.get('permissions["*"]')!.fix, /relay, user, admin/);
  assert.match(byKey.get('permissions["not a valid entry"]')!.problem, /neither a user ID/);
});

test("message status events are off and error notices on by default, as in mautrix; a misspelt key is named", () => {
  const config = validateConfig(minimal);
  assert.equal(config.bridge.message_status_events, false);
  assert.equal(config.bridge.message_error_notices, true);
  assert.equal(config.bridge.delivery_receipts, false);
  const on = validateConfig({ ...minimal, bridge: { message_status_events: true } });
  assert.equal(on.bridge.message_status_events, true);
  const problems = problemsOf({
    ...minimal,
    bridge: { message_status_event: true, message_error_notices: "no" },
  });
  const byKey = new Map(problems.map((p) => [p.key, p]));
  assert.match(byKey.get("bridge.message_status_event")!.problem, /unknown key/);
  assert.match(byKey.get("bridge.message_status_event")!.fix, /known keys here: .*message_status_events/);
  assert.match(byKey.get("bridge.message_error_notices")!.problem, /expected/);
});

test("a ghost template without {aci} is refused", () => {
  const problems = problemsOf({ ...minimal, appservice: { ghosts: { localpart_template: "signal_user" } } });
  assert.equal(problems[0]?.key, "appservice.ghosts.localpart_template");
  assert.match(problems[0]!.fix, /\{aci\}/);
});

test("the local Signal environment needs its server details", () => {
  const problems = problemsOf({ ...minimal, signal: { environment: "local", local: { port: 4433 } } });
  const keys = problems.map((p) => p.key);
  assert.ok(keys.includes("signal.local.ca_file"), keys.join(", "));
  assert.ok(keys.includes("signal.local.trust_root"), keys.join(", "));
  assert.ok(!keys.includes("signal.local.port"));
});

test("loadConfig resolves relative paths from the config file's directory and reports YAML errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "config-test-"));
  try {
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      "homeserver:\n  url: http://hs:8008\n  domain: hs\npermissions:\n  hs: user\ndatabase:\n  path: state/db.sqlite\n",
    );
    const config = loadConfig(file);
    assert.equal(config.database.path, join(dir, "state/db.sqlite"));
    assert.equal(config.appservice.registration, join(dir, "registration.yaml"));

    writeFileSync(file, "homeserver:\n  url: [unclosed\n");
    assert.throws(
      () => loadConfig(file),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems[0]?.key, "(YAML syntax)");
        return true;
      },
    );
    assert.throws(() => loadConfig(join(dir, "missing.yaml")), /does not exist/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
