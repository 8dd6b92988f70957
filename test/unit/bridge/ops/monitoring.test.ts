// What the bridge tells Monitoring becomes the messages metric: kinds, outcomes, latency.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Monitoring } from "../../../../src/bridge/ops/index.js";
import type { PrometheusMetrics } from "../../../../src/bridge/ops/metrics.js";
import type { JournalEntry, Store } from "../../../../src/store/index.js";
import { createLogger } from "../../../../src/logger.js";
import { parseMetrics, sumOf } from "../../../support/prometheus-text.js";

const config = {
  metrics: { enabled: true, listen: "127.0.0.1:0" },
  homeserver: { url: "http://127.0.0.1:1", domain: "example.org", status_endpoint: undefined },
};
const quiet = createLogger("error", "test", () => undefined);

const entry = (event: Record<string, unknown>): JournalEntry => ({
  seq: 1,
  roomId: "!r:example.org",
  kind: "event",
  event: { event_id: "$e", room_id: "!r:example.org", sender: "@u:example.org", ...event },
  receivedAt: Date.now() - 250,
});

test("an encrypted event counts as the kind of its decrypted content; one never decrypted as other", async () => {
  const monitoring = await Monitoring.create({ config, store: {} as Store, logger: quiet });
  monitoring.decrypted({ event_id: "$e", type: "m.room.message", content: { msgtype: "m.image" } });
  monitoring.matrixEventSettled(entry({ type: "m.room.encrypted", content: {} }), "bridged");
  monitoring.matrixEventSettled(entry({ type: "m.room.encrypted", content: {} }), "failed");
  monitoring.matrixEventSettled(entry({ type: "m.room.message", content: { msgtype: "m.text" } }), "ignored");
  const samples = parseMetrics(await (monitoring.metrics as PrometheusMetrics).render());
  const messages = "signal_bridge_messages_total";
  assert.equal(
    sumOf(samples, messages, { direction: "matrix_to_signal", kind: "media", outcome: "success" }),
    1,
  );
  assert.equal(sumOf(samples, messages, { kind: "other", outcome: "failed" }), 1, "the kind is used once");
  assert.equal(sumOf(samples, messages, { kind: "text" }), undefined, "ignored events are not counted");
  const latency = sumOf(samples, "signal_bridge_bridging_latency_seconds_sum", { kind: "media" })!;
  assert.ok(latency >= 0.25 && latency < 5, `latency from the journal's receivedAt: ${latency}`);
});

test("with metrics off nothing is counted and the hooks cost nothing", () => {
  const monitoring = new Monitoring({
    config: { ...config, metrics: { enabled: false, listen: "127.0.0.1:0" } },
    store: {} as Store,
    logger: quiet,
  });
  assert.doesNotThrow(() => {
    monitoring.decrypted({ event_id: "$e", type: "m.room.message", content: {} });
    monitoring.matrixEventSettled(entry({ type: "m.room.message", content: {} }), "bridged");
    monitoring.loginObserver.reconnecting();
  });
  assert.equal(monitoring.loginObserver.onRequest, undefined, "Signal clients are not asked to report");
});

test("prom-client is loaded only when metrics are enabled", async () => {
  const off = await Monitoring.create({
    config: { ...config, metrics: { enabled: false, listen: "127.0.0.1:0" } },
    store: {} as Store,
    logger: quiet,
  });
  assert.equal("render" in off.metrics, false);
  assert.throws(() => new Monitoring({ config, store: {} as Store, logger: quiet }), /Monitoring\.create/);
});
