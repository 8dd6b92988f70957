// The metrics as Prometheus reads them: names, labels, values, and no failure reaching the bridge.
import assert from "node:assert/strict";
import { test } from "node:test";
import { matrixEventKind, signalEventKind } from "../../../../src/bridge/ops/message-kinds.js";
import { noMetrics, PrometheusMetrics, type MetricSources } from "../../../../src/bridge/ops/metrics.js";
import { startMetricsServer, parseListenAddress } from "../../../../src/bridge/ops/metrics-server.js";
import type { BufferedSignalEvent } from "../../../../src/signal/index.js";
import { parseMetrics, sumOf } from "../../../support/prometheus-text.js";

const sources = (overrides: Partial<MetricSources> = {}): MetricSources => ({
  loginStates: async () => ["connected", "connected", "reconnecting"],
  pendingSignalEvents: async () => 4,
  pendingMatrixEvents: async () => 2,
  portals: async () => ({ direct: 3, group: 1 }),
  ghosts: async () => 7,
  ...overrides,
});

test("relayed events are counted by direction, kind and outcome; successes are timed", async () => {
  const metrics = new PrometheusMetrics(sources());
  metrics.relayed("signal_to_matrix", "text", "bridged", 1500);
  metrics.relayed("signal_to_matrix", "text", "bridged", 200);
  metrics.relayed("matrix_to_signal", "media", "failed", 100);
  metrics.relayed("matrix_to_signal", "reaction", "skipped");
  metrics.relayed("matrix_to_signal", "other", "ignored");
  const samples = parseMetrics(await metrics.render());
  const messages = "signal_bridge_messages_total";
  assert.equal(
    sumOf(samples, messages, { direction: "signal_to_matrix", kind: "text", outcome: "success" }),
    2,
  );
  assert.equal(
    sumOf(samples, messages, { direction: "matrix_to_signal", kind: "media", outcome: "failed" }),
    1,
  );
  assert.equal(
    sumOf(samples, messages, { direction: "matrix_to_signal", kind: "reaction", outcome: "skipped" }),
    1,
  );
  assert.equal(sumOf(samples, messages, { kind: "other" }), undefined, "ignored events are not counted");
  const latency = "signal_bridge_bridging_latency_seconds";
  assert.equal(sumOf(samples, `${latency}_count`, { direction: "signal_to_matrix", kind: "text" }), 2);
  assert.equal(sumOf(samples, `${latency}_sum`, { direction: "signal_to_matrix", kind: "text" }), 1.7);
  assert.equal(sumOf(samples, `${latency}_bucket`, { direction: "signal_to_matrix", le: "1" }), 1);
  assert.equal(
    sumOf(samples, `${latency}_count`, { direction: "matrix_to_signal" }),
    undefined,
    "failures are not timed",
  );
});

test("gauges are read when Prometheus asks: logins by state, pending events, portals, ghosts", async () => {
  let pending = 4;
  const metrics = new PrometheusMetrics(sources({ pendingSignalEvents: async () => pending }));
  let samples = parseMetrics(await metrics.render());
  assert.equal(sumOf(samples, "signal_bridge_logins", { state: "connected" }), 2);
  assert.equal(sumOf(samples, "signal_bridge_logins", { state: "reconnecting" }), 1);
  assert.equal(sumOf(samples, "signal_bridge_logins", { state: "logged-out" }), 0, "every state is reported");
  assert.equal(sumOf(samples, "signal_bridge_signal_events_pending"), 4);
  assert.equal(sumOf(samples, "signal_bridge_matrix_events_pending"), 2);
  assert.equal(sumOf(samples, "signal_bridge_portals", { kind: "direct" }), 3);
  assert.equal(sumOf(samples, "signal_bridge_portals", { kind: "group" }), 1);
  assert.equal(sumOf(samples, "signal_bridge_ghosts"), 7);
  pending = 0;
  samples = parseMetrics(await metrics.render());
  assert.equal(sumOf(samples, "signal_bridge_signal_events_pending"), 0);
});

test("requests both ways are counted with their outcome and timed; reconnects counted", async () => {
  const metrics = new PrometheusMetrics(sources());
  metrics.matrixRequest("PUT", "rooms/send", "success", 20);
  metrics.matrixRequest("PUT", "rooms/send", "error", 5000);
  metrics.signalRequest("send", "direct", "success", 80);
  metrics.signalRequest("chat", "GET /v1/profile", "error", 30);
  metrics.signalReconnect();
  const samples = parseMetrics(await metrics.render());
  assert.equal(sumOf(samples, "signal_bridge_matrix_requests_total", { endpoint: "rooms/send" }), 2);
  assert.equal(sumOf(samples, "signal_bridge_matrix_requests_total", { outcome: "error" }), 1);
  assert.equal(sumOf(samples, "signal_bridge_matrix_request_duration_seconds_count", { method: "PUT" }), 2);
  assert.equal(
    sumOf(samples, "signal_bridge_signal_requests_total", { type: "send", outcome: "success" }),
    1,
  );
  assert.equal(
    sumOf(samples, "signal_bridge_signal_requests_total", { operation: "GET /v1/profile", outcome: "error" }),
    1,
  );
  assert.equal(sumOf(samples, "signal_bridge_signal_reconnects_total"), 1);
  assert.ok(
    (sumOf(samples, "process_cpu_user_seconds_total") ?? -1) >= 0,
    "Node's process metrics are there",
  );
  assert.ok(sumOf(samples, "nodejs_heap_size_used_bytes") !== undefined);
});

test("a figure that cannot be read is reported once; the scrape and the counting go on", async () => {
  const failures: string[] = [];
  const metrics = new PrometheusMetrics(
    sources({
      ghosts: () => {
        throw new Error("database closed");
      },
    }),
    (what) => failures.push(what),
  );
  metrics.relayed("signal_to_matrix", "text", "bridged", 10);
  const first = parseMetrics(await metrics.render());
  await metrics.render();
  assert.deepEqual(failures, ["the ghosts"]);
  assert.equal(sumOf(first, "signal_bridge_portals", { kind: "direct" }), 3);
  // A label value prom-client refuses (not a string) must not throw into the pipeline either.
  assert.doesNotThrow(() => metrics.relayed("signal_to_matrix", { bad: true } as never, "bridged", 1));
  assert.doesNotThrow(() => noMetrics.relayed("signal_to_matrix", "text", "bridged", 1));
});

test("the metrics listener serves /metrics and nothing else", async (t) => {
  const metrics = new PrometheusMetrics(sources());
  const server = await startMetricsServer("127.0.0.1:0", metrics);
  t.after(() => server.close());
  const page = await fetch(`http://${server.address}/metrics`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /^text\/plain/);
  assert.match(await page.text(), /^# HELP signal_bridge_messages_total /m);
  assert.equal((await fetch(`http://${server.address}/`)).status, 404);
  assert.deepEqual(parseListenAddress("[::1]:8001"), { host: "::1", port: 8001 });
  assert.throws(() => parseListenAddress("localhost"), /not host:port/);
});

test("kinds: what each Signal and Matrix event counts as", () => {
  const base = { id: "e", sender: { aci: "a", deviceId: 1 }, timestamp: 1, serverTimestamp: 1, sealed: true };
  const message = (fields: Record<string, unknown>) =>
    ({ ...base, type: "message", message: fields, groupMasterKey: null }) as unknown as BufferedSignalEvent;
  assert.equal(signalEventKind(message({ body: "hi" })), "text");
  assert.equal(signalEventKind(message({ attachments: [{}] })), "media");
  assert.equal(signalEventKind(message({ sticker: {} })), "media");
  assert.equal(signalEventKind(message({ reaction: { emoji: "👍" } })), "reaction");
  assert.equal(signalEventKind(message({ delete: {} })), "redaction");
  assert.equal(signalEventKind(message({ groupV2: {} })), "other");
  const sent = { ...base, type: "sync-sent", destinationServiceId: "b", sent: { message: { body: "x" } } };
  assert.equal(signalEventKind(sent as unknown as BufferedSignalEvent), "text");
  for (const [type, kind] of [
    ["edit", "edit"],
    ["reaction", "reaction"],
    ["delete", "redaction"],
    ["receipt", "receipt"],
    ["sync-read", "receipt"],
    ["typing", "typing"],
    ["contacts-sync", "other"],
  ] as const) {
    assert.equal(signalEventKind({ ...base, type } as unknown as BufferedSignalEvent), kind, type);
  }

  const matrix = (type: string, content: Record<string, unknown> = {}) => matrixEventKind({ type, content });
  assert.equal(matrix("m.room.message", { msgtype: "m.text", body: "hi" }), "text");
  assert.equal(matrix("m.room.message", { msgtype: "m.emote", body: "waves" }), "text");
  assert.equal(matrix("m.room.message", { msgtype: "m.image" }), "media");
  assert.equal(matrix("m.sticker"), "media");
  assert.equal(
    matrix("m.room.message", { msgtype: "m.text", "m.relates_to": { rel_type: "m.replace" } }),
    "edit",
  );
  assert.equal(matrix("m.reaction"), "reaction");
  assert.equal(matrix("m.room.redaction"), "redaction");
  assert.equal(matrix("m.receipt"), "receipt");
  assert.equal(matrix("m.typing"), "typing");
  assert.equal(matrix("m.room.member"), "other");
  assert.equal(matrixEventKind({ type: "m.room.message" }), "text", "no content at all");
});
