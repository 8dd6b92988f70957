/**
 * Operating the bridge as an operator does: Prometheus scrapes /metrics while messages cross both
 * ways, monitoring asks /_matrix/mau/live and /ready, and a log collector reads JSON lines from
 * stderr and the log file. The bridge process, a real Synapse, the mock Signal server and a
 * Matrix user driven by matrix-js-sdk.
 */
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { parse } from "yaml";
import { prepareBridge, withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  loginThroughBot,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { introduce } from "../support/linked-signal-client.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { parseMetrics, type Sample, sumOf } from "../support/prometheus-text.js";
import { freePort, waitFor, withTimeout } from "../support/wait.js";

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let metricsUrl: string;

const LOG_FILE = "logs/bridge.log";
const PROVISIONING_SECRET = "ops-e2e-provisioning-secret-0123456789";

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  const metricsPort = await freePort();
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  setting = await startBridgeWithSignal(mock, {
    logging: { level: "debug", format: "json", file: LOG_FILE, max_size_mb: 50, max_files: 2 },
    metrics: { enabled: true, listen: `127.0.0.1:${metricsPort}` },
    provisioning: { shared_secret: PROVISIONING_SECRET },
  });
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

async function scrape(): Promise<Sample[]> {
  const response = await fetch(metricsUrl);
  assert.equal(response.status, 200);
  return parseMetrics(await response.text());
}

/** Waits until the metric (summed over samples with these labels) reaches `atLeast`. */
async function waitForMetric(
  name: string,
  labels: Record<string, string>,
  atLeast: number,
): Promise<Sample[]> {
  let samples: Sample[] = [];
  await waitFor(
    async () => {
      samples = await scrape();
      return (sumOf(samples, name, labels) ?? 0) >= atLeast;
    },
    {
      timeoutMs: 30_000,
      what: () =>
        `${name}${JSON.stringify(labels)} to reach ${atLeast}; it is ${sumOf(samples, name, labels)}; all of ${name}: ${JSON.stringify(samples.filter((s) => s.name === name))}`,
    },
  );
  return samples;
}

test("live and ready answer on the appservice listener once the bridge has started", async () => {
  const base = setting!.bridge.url;
  const live = await fetch(`${base}/_matrix/mau/live`);
  assert.equal(live.status, 200);
  const ready = await fetch(`${base}/_matrix/mau/ready`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: "ready" });
});

test("metrics move as messages are bridged both ways, by name and labels", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const before = await scrape();
    assert.equal(sumOf(before, "signal_bridge_logins", { state: "connected" }), 0);
    assert.equal(sumOf(before, "signal_bridge_portals", { kind: "direct" }), 0);
    assert.ok(sumOf(before, "process_resident_memory_bytes")! > 0, "Node's process metrics are there");

    device = await loginThroughBot(setting!, mock, phone);
    await introduce(phone, device);
    await introduce(friend, device);
    await friend.sendText(device, "Hello from Signal", { withProfileKey: true });
    const directRoom = await setting!.alice.acceptNextInvite("the direct portal with Friend");
    const hello = await setting!.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^Hello from Signal$/),
      "the contact's message",
    );

    const inbound = { direction: "signal_to_matrix", kind: "text" };
    let samples = await waitForMetric("signal_bridge_messages_total", { ...inbound, outcome: "success" }, 1);
    assert.ok(sumOf(samples, "signal_bridge_bridging_latency_seconds_count", inbound)! >= 1);
    assert.ok(sumOf(samples, "signal_bridge_bridging_latency_seconds_sum", inbound)! > 0);

    await setting!.alice.sendText(directRoom, "Hi back from Matrix");
    const received = await withTimeout(friend.waitForMessage(), 30_000, "the contact to receive the reply");
    assert.equal(received.body, "Hi back from Matrix");
    await setting!.alice.client.sendEvent(
      directRoom,
      "m.reaction" as never,
      { "m.relates_to": { rel_type: "m.annotation", event_id: hello.getId(), key: "👍" } } as never,
    );
    const reaction = await withTimeout(
      friend.waitForMessage(),
      30_000,
      "the contact to receive the reaction",
    );
    assert.equal(reaction.dataMessage.reaction?.emoji, "👍");

    const outbound = { direction: "matrix_to_signal", kind: "text" };
    await waitForMetric("signal_bridge_messages_total", { ...outbound, outcome: "success" }, 1);
    samples = await waitForMetric(
      "signal_bridge_messages_total",
      { direction: "matrix_to_signal", kind: "reaction", outcome: "success" },
      1,
    );
    assert.ok(sumOf(samples, "signal_bridge_bridging_latency_seconds_count", outbound)! >= 1);
    assert.equal(
      sumOf(samples, "signal_bridge_messages_total", { outcome: "failed" }) ?? 0,
      0,
      "nothing failed",
    );

    assert.equal(sumOf(samples, "signal_bridge_logins", { state: "connected" }), 1);
    assert.equal(sumOf(samples, "signal_bridge_portals", { kind: "direct" }), 1);
    assert.ok(sumOf(samples, "signal_bridge_ghosts")! >= 1);
    assert.equal(sumOf(samples, "signal_bridge_matrix_events_pending"), 0);
    assert.equal(sumOf(samples, "signal_bridge_signal_events_pending"), 0);
    assert.ok(
      sumOf(samples, "signal_bridge_matrix_requests_total", {
        endpoint: "rooms/send",
        outcome: "success",
      })! >= 2,
      "the ghost's message and the bot's notices were sent to the homeserver",
    );
    assert.ok(sumOf(samples, "signal_bridge_matrix_request_duration_seconds_count", { method: "PUT" })! >= 2);
    assert.ok(
      sumOf(samples, "signal_bridge_signal_requests_total", {
        type: "send",
        operation: "direct",
        outcome: "success",
      })! >= 2,
      "the reply and the reaction were sent to the contact",
    );
    assert.ok(
      sumOf(samples, "signal_bridge_signal_requests_total", { type: "send", operation: "own_devices" })! >= 2,
      "transcripts went to the phone",
    );
    assert.ok(sumOf(samples, "signal_bridge_signal_requests_total", { type: "chat" })! >= 1);
    assert.ok(sumOf(samples, "signal_bridge_signal_request_duration_seconds_count", { type: "send" })! >= 4);
    assert.equal(sumOf(samples, "signal_bridge_signal_reconnects_total"), 0);
  });
});

test("the log is JSON lines, on stderr and in the log file, with ids as fields and no secrets", async () => {
  const bridge = setting!.bridge;
  // An integration's request carries the provisioning secret through the bridge.
  const whoami = await fetch(
    `${bridge.url}/_matrix/provision/v3/whoami?user_id=${encodeURIComponent(setting!.alice.userId)}`,
    { headers: { authorization: `Bearer ${PROVISIONING_SECRET}` } },
  );
  assert.equal(whoami.status, 200);
  const lines = bridge
    .output()
    .split("\n")
    .filter((line) => line.length > 0);
  assert.ok(lines.length > 50, "the bridge logged at debug level");
  const records = lines.map((line) => {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`not a JSON line: ${line}`);
    }
    for (const key of ["time", "level", "scope", "msg"])
      assert.equal(typeof record[key], "string", `${key} in ${line}`);
    assert.ok(!Number.isNaN(Date.parse(String(record["time"]))), line);
    assert.ok(["debug", "info", "warn", "error"].includes(String(record["level"])), line);
    return record;
  });
  assert.ok(records.some((r) => String(r["msg"]).startsWith("bridge started")));
  assert.ok(
    records.some((r) => r["user"] === setting!.alice.userId && typeof r["signal_event"] === "string"),
    "a Signal event's lines name the user and the event",
  );
  assert.ok(
    records.some(
      (r) =>
        typeof r["room"] === "string" &&
        typeof r["event"] === "string" &&
        r["user"] === setting!.alice.userId,
    ),
    "a Matrix event's lines name the room, the event and the sender",
  );
  assert.ok(
    records.some((r) => String(r["scope"]).endsWith("matrix-sdk") && typeof r["module"] === "string"),
    "library lines keep their module",
  );

  const logFile = join(bridge.dir, LOG_FILE);
  assert.equal(statSync(logFile).mode & 0o777, 0o600);
  const fileLines = readFileSync(logFile, "utf8")
    .split("\n")
    .filter((line) => line.length > 0);
  // The same lines: the file's have all come through stderr's pipe (give it a moment).
  const notOnStderr = () => {
    const stderrLines = new Set(bridge.output().split("\n"));
    return fileLines.filter((line) => !stderrLines.has(line));
  };
  await waitFor(() => notOnStderr().length === 0, {
    timeoutMs: 5_000,
    what: () => `the log file's lines on stderr too; missing: ${notOnStderr().slice(0, 3).join("\n")}`,
  });
  assert.ok(fileLines.length >= lines.length, "the file has every line stderr had");

  const registration = parse(readFileSync(bridge.registrationFile, "utf8")) as {
    as_token: string;
    hs_token: string;
  };
  const key = readFileSync(join(bridge.dir, "bridge.key"));
  const secrets: Record<string, string[]> = {
    as_token: [registration.as_token],
    hs_token: [registration.hs_token],
    "bridge key": [key.toString("hex"), key.toString("base64"), key.toString("latin1")],
    "provisioning secret": [PROVISIONING_SECRET],
  };
  for (const [what, forms] of Object.entries(secrets)) {
    for (const form of forms) {
      assert.ok(!bridge.output().includes(form), `the ${what} is on stderr`);
      assert.ok(!readFileSync(logFile, "utf8").includes(form), `the ${what} is in the log file`);
    }
  }
});

test("ready says what start-up waits for while the homeserver is away; live answers meanwhile", async (t) => {
  const homeserverPort = await freePort();
  const bridge = await prepareBridge({
    homeserverUrl: `http://127.0.0.1:${homeserverPort}`,
    serverName: "localhost",
    permissions: { localhost: "user" },
  });
  t.after(() => bridge.cleanup());
  await withBridgeLog(bridge, async () => {
    await bridge.start({ waitForStarted: false });
    const base = bridge.url;
    await waitFor(
      () =>
        fetch(`${base}/_matrix/mau/live`).then(
          (r) => r.status === 200,
          () => false,
        ),
      { timeoutMs: 30_000, what: "the appservice listener to answer /_matrix/mau/live" },
    );
    const ready = await fetch(`${base}/_matrix/mau/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), {
      status: "not ready",
      reason: "starting: waiting for the homeserver to answer",
    });
  });
});
