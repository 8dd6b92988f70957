/**
 * Start-up as an operator sees it: a homeserver that is not up yet is named once and waited for,
 * a normal start logs no error, and the appservice ping either reports its round trip or explains
 * why the homeserver cannot use the bridge, while the bridge keeps running.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type BridgeProcess, prepareBridge, withBridgeLog } from "../support/bridge-process.js";
import { type Synapse, startSynapse } from "../support/synapse.js";
import { freePort, waitFor } from "../support/wait.js";

/** A bridge configured for a homeserver on `port` (started or not). */
async function bridgeFor(port: number): Promise<BridgeProcess> {
  return prepareBridge({
    homeserverUrl: `http://127.0.0.1:${port}`,
    serverName: "localhost",
    permissions: { localhost: "user" },
  });
}

const linesOf = (bridge: BridgeProcess, pattern: RegExp) =>
  bridge
    .output()
    .split("\n")
    .filter((line) => pattern.test(line));

/** Lines at ERROR level (src/logger.ts writes the level after the timestamp). */
const errorLines = (bridge: BridgeProcess) => linesOf(bridge, /^\S+ ERROR\b|^ERROR\b/);
/** Lines of a stack trace. */
const stackLines = (bridge: BridgeProcess) => linesOf(bridge, /^\s+at /);

async function waitForLog(bridge: BridgeProcess, text: string, what: string, timeoutMs = 30_000) {
  await waitFor(() => bridge.output().includes(text), {
    timeoutMs,
    what: () => `${what}; the bridge logged:\n${bridge.output()}`,
  });
}

test("a bridge started before its homeserver names homeserver.url once, waits, and starts when it comes up", async (t) => {
  const port = await freePort();
  const bridge = await bridgeFor(port);
  let synapse: Synapse | undefined;
  t.after(async () => {
    await bridge.cleanup();
    await synapse?.stop();
  });
  await withBridgeLog(bridge, async () => {
    await bridge.start({ waitForStarted: false });
    await waitForLog(bridge, "try 3 failed", "the bridge to try the homeserver a few times");
    assert.ok(bridge.running(), "the bridge keeps running while the homeserver is away");
    const url = `http://127.0.0.1:${port}`;
    const named = linesOf(bridge, /homeserver\.url/);
    assert.equal(named.length, 1, "one line names homeserver.url");
    assert.match(named[0]!, / WARN /);
    assert.ok(named[0]!.includes(`homeserver.url = ${url}: connection refused`), named[0]);
    assert.deepEqual(stackLines(bridge), [], "no stack traces");

    synapse = await startSynapse({ port, appserviceFiles: [bridge.registrationFile] });
    await waitForLog(bridge, "bridge started", "the bridge to finish starting once Synapse is up", 60_000);
    assert.equal(linesOf(bridge, /homeserver\.url/).length, 1, "still one line names homeserver.url");
    assert.match(bridge.output(), new RegExp(`the homeserver at ${url} answers \\(after \\d+ s\\)`));
    assert.deepEqual(errorLines(bridge), [], "no line at ERROR level");
  });
});

test("a normal start logs no error and the appservice ping reports its round trip", async (t) => {
  const port = await freePort();
  const bridge = await bridgeFor(port);
  const synapse = await startSynapse({ port, appserviceFiles: [bridge.registrationFile] });
  t.after(async () => {
    await bridge.cleanup();
    await synapse.stop();
  });
  await withBridgeLog(bridge, async () => {
    await bridge.start();
    // A second start meets a bot and a profile that exist already.
    assert.equal(await bridge.stop(), 0);
    await bridge.start();

    const pings = linesOf(
      bridge,
      /appservice ping: the homeserver reached the bridge at .*; duration_ms=\d+/,
    );
    assert.equal(pings.length, 2, "each start logs the ping's round trip");
    assert.match(pings[0]!, / INFO /);
    assert.deepEqual(errorLines(bridge), [], "no line at ERROR level");
    assert.deepEqual(linesOf(bridge, / WARN /), [], "no warnings");
    assert.deepEqual(stackLines(bridge), [], "no stack traces");
  });
});

test("a homeserver that has not loaded the registration gets one explained warning; the bridge waits for it", async (t) => {
  const port = await freePort();
  const bridge = await bridgeFor(port);
  let synapse = await startSynapse({ port, appserviceFiles: [] });
  t.after(async () => {
    await bridge.cleanup();
    await synapse.stop();
  });
  await withBridgeLog(bridge, async () => {
    await bridge.start({ waitForStarted: false });
    await waitForLog(bridge, "retrying until it does", "the bridge to wait for the homeserver to accept it");

    const warnings = linesOf(bridge, / WARN /);
    assert.equal(warnings.length, 1, "one warning");
    assert.match(warnings[0]!, /appservice ping failed \(HTTP 401 M_UNKNOWN_TOKEN/);
    assert.match(warnings[0]!, /does not know the bridge's as_token/);
    assert.ok(
      warnings[0]!.includes(`add ${bridge.registrationFile} to app_service_config_files`),
      warnings[0],
    );
    assert.deepEqual(errorLines(bridge), [], "no line at ERROR level");
    assert.deepEqual(stackLines(bridge), [], "no stack traces");
    assert.ok(bridge.running(), "the bridge keeps running");
    assert.doesNotMatch(bridge.output(), /bridge started/);

    // The operator fixes the homeserver's config and restarts it: the bridge carries on by itself.
    await synapse.stop();
    synapse = await startSynapse({ port, appserviceFiles: [bridge.registrationFile] });
    await waitForLog(bridge, "bridge started", "the bridge to start once the homeserver accepts it", 60_000);
    assert.match(bridge.output(), /the homeserver accepts the bridge \(after \d+ s\)/);
  });
});
