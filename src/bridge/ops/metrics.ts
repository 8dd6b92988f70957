// The bridge's Prometheus metrics. The rest of the bridge reports through the small
// `BridgeMetrics` interface; only this file knows prom-client. docs/metrics.md lists every metric.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RelayOutcome } from "../relay-outcome.js";
import type { MessageKind } from "./message-kinds.js";

export {
  type BridgeMetrics,
  type Direction,
  type MetricSources,
  noMetrics,
  type RequestOutcome,
} from "./metrics-api.js";
import type { BridgeMetrics, Direction, MetricSources, RequestOutcome } from "./metrics-api.js";

export const METRIC_PREFIX = "signal_bridge_";

/** Every state a login can be counted in; each is reported, zero or not, so graphs have no gaps. */
const loginStates = ["connecting", "connected", "reconnecting", "error", "logged-out", "stopped"];

const latencyBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const requestBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const outcomeLabel: Record<Exclude<RelayOutcome, "ignored">, string> = {
  bridged: "success",
  failed: "failed",
  skipped: "skipped",
};

export class PrometheusMetrics implements BridgeMetrics {
  readonly registry = new Registry();
  private readonly messages: Counter<"direction" | "kind" | "outcome">;
  private readonly latency: Histogram<"direction" | "kind">;
  private readonly matrixRequests: Counter<"method" | "endpoint" | "outcome">;
  private readonly matrixDuration: Histogram<"method" | "endpoint">;
  private readonly signalRequests: Counter<"type" | "operation" | "outcome">;
  private readonly signalDuration: Histogram<"type" | "operation">;
  private readonly reconnects: Counter;
  /** What failed already: told once, not on every event or scrape. */
  private readonly failures = new Set<string>();

  /** `onError` hears the first failure of each figure (a bug, or the database closed). */
  constructor(
    sources: MetricSources,
    private readonly onError: (what: string, error: unknown) => void = () => undefined,
  ) {
    const registers = [this.registry];
    const name = (suffix: string) => `${METRIC_PREFIX}${suffix}`;
    this.messages = new Counter({
      name: name("messages_total"),
      help: "Events relayed, by direction, kind and outcome (success, failed, skipped).",
      labelNames: ["direction", "kind", "outcome"],
      registers,
    });
    this.latency = new Histogram({
      name: name("bridging_latency_seconds"),
      help: "From an event's arrival at the bridge to its acceptance by the other side (successes only).",
      labelNames: ["direction", "kind"],
      buckets: latencyBuckets,
      registers,
    });
    this.matrixRequests = new Counter({
      name: name("matrix_requests_total"),
      help: "HTTP requests to the homeserver, by method, endpoint and outcome (error: no answer or not 2xx).",
      labelNames: ["method", "endpoint", "outcome"],
      registers,
    });
    this.matrixDuration = new Histogram({
      name: name("matrix_request_duration_seconds"),
      help: "Duration of HTTP requests to the homeserver.",
      labelNames: ["method", "endpoint"],
      buckets: requestBuckets,
      registers,
    });
    this.signalRequests = new Counter({
      name: name("signal_requests_total"),
      help: "Signal requests: chat (one request on the chat connection) and send (one message to a chat's recipients or to our own devices), by outcome.",
      labelNames: ["type", "operation", "outcome"],
      registers,
    });
    this.signalDuration = new Histogram({
      name: name("signal_request_duration_seconds"),
      help: "Duration of Signal requests and sends.",
      labelNames: ["type", "operation"],
      buckets: requestBuckets,
      registers,
    });
    this.reconnects = new Counter({
      name: name("signal_reconnects_total"),
      help: "Times a login's Signal chat connection was lost and made again.",
      registers,
    });

    // prom-client awaits an asynchronous collect before it answers the scrape.
    const guarded = (what: string, read: () => Promise<void>) => async () => {
      try {
        await read();
      } catch (error) {
        // The last value stays; a scrape must not fail because one figure could not be read.
        this.failed(what, error);
      }
    };
    const logins = new Gauge({
      name: name("logins"),
      help: "Logins (linked Signal accounts) by the state of their chat connection.",
      labelNames: ["state"],
      registers,
      collect: guarded("the logins", async () => {
        const counts = new Map(loginStates.map((state) => [state, 0]));
        for (const state of await sources.loginStates()) counts.set(state, (counts.get(state) ?? 0) + 1);
        for (const [state, count] of counts) logins.set({ state }, count);
      }),
    });
    const pendingSignal = new Gauge({
      name: name("signal_events_pending"),
      help: "Signal events received and buffered, not yet bridged.",
      registers,
      collect: guarded("the buffered Signal events", async () => {
        pendingSignal.set(await sources.pendingSignalEvents());
      }),
    });
    const pendingMatrix = new Gauge({
      name: name("matrix_events_pending"),
      help: "Matrix events journaled, not yet handled.",
      registers,
      collect: guarded("the journaled Matrix events", async () => {
        pendingMatrix.set(await sources.pendingMatrixEvents());
      }),
    });
    const portals = new Gauge({
      name: name("portals"),
      help: "Portal rooms, by kind (direct or group).",
      labelNames: ["kind"],
      registers,
      collect: guarded("the portals", async () => {
        const { direct, group } = await sources.portals();
        portals.set({ kind: "direct" }, direct);
        portals.set({ kind: "group" }, group);
      }),
    });
    const ghosts = new Gauge({
      name: name("ghosts"),
      help: "Ghost users (Matrix users standing for Signal contacts).",
      registers,
      collect: guarded("the ghosts", async () => {
        ghosts.set(await sources.ghosts());
      }),
    });
    // Node's own figures (CPU, memory, event loop lag, handles) under their usual names, so the
    // common Node.js dashboards work unchanged.
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The metrics in Prometheus's text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  relayed(direction: Direction, kind: MessageKind, outcome: RelayOutcome, latencyMs?: number): void {
    if (outcome === "ignored") return;
    this.safely("relayed", () => {
      this.messages.inc({ direction, kind, outcome: outcomeLabel[outcome] });
      if (outcome === "bridged" && latencyMs !== undefined && latencyMs >= 0) {
        this.latency.observe({ direction, kind }, latencyMs / 1000);
      }
    });
  }

  matrixRequest(method: string, endpoint: string, outcome: RequestOutcome, durationMs: number): void {
    this.safely("matrixRequest", () => {
      this.matrixRequests.inc({ method, endpoint, outcome });
      this.matrixDuration.observe({ method, endpoint }, durationMs / 1000);
    });
  }

  signalRequest(type: "chat" | "send", operation: string, outcome: RequestOutcome, durationMs: number): void {
    this.safely("signalRequest", () => {
      this.signalRequests.inc({ type, operation, outcome });
      this.signalDuration.observe({ type, operation }, durationMs / 1000);
    });
  }

  signalReconnect(): void {
    this.safely("signalReconnect", () => this.reconnects.inc());
  }

  private safely(what: string, record: () => void): void {
    try {
      record();
    } catch (error) {
      this.failed(what, error);
    }
  }

  private failed(what: string, error: unknown): void {
    if (this.failures.has(what)) return;
    this.failures.add(what);
    try {
      this.onError(what, error);
    } catch {
      // Telling is best effort too.
    }
  }
}
