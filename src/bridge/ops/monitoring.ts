// What an operator watches: the metrics (counted as the bridge works, served on their own
// listener) and the health endpoints. The bridge reports to it through the hooks below; it is
// made before the rest of the bridge, which it observes from the start.
import type { Application } from "express";
import { type BridgeConfig, ConfigError } from "../../config/index.js";
import type { Logger } from "../../logger.js";
import type { BufferedSignalEvent, SignalRequestReport } from "../../signal/index.js";
import type { JournalEntry, Store } from "../../store/index.js";
import { describeRequestFailure, homeserverRequest } from "../homeserver-http.js";
import type { LoginObserver } from "../logins.js";
import type { RelayOutcome } from "../relay-outcome.js";
import { cachedProbe, serveHealth } from "./health.js";
import { meterMatrixRequests } from "./matrix-requests.js";
import { matrixEventKind, type MessageKind, signalEventKind } from "./message-kinds.js";
import { type BridgeMetrics, noMetrics } from "./metrics-api.js";
import type { PrometheusMetrics } from "./metrics.js";
import { type MetricsServer, startMetricsServer } from "./metrics-server.js";

export interface MonitoringOptions {
  config: Pick<BridgeConfig, "metrics" | "homeserver">;
  store: Store;
  logger: Logger;
}

export interface LoginStates {
  loginStates(): Promise<Iterable<string>>;
}

/** How long a readiness answer about the homeserver is reused. */
const HOMESERVER_PROBE_MAX_AGE_MS = 10_000;
const HOMESERVER_PROBE_TIMEOUT_MS = 5_000;
const MAX_DECRYPTED_KINDS = 1000;

export class Monitoring {
  readonly metrics: BridgeMetrics;
  private readonly prometheus: PrometheusMetrics | undefined;
  private server: MetricsServer | undefined;
  private unmeter: (() => void) | undefined;
  private waitingFor: string | undefined = "the appservice listener";
  private logins: LoginStates | undefined;
  /** Kinds of decrypted events not yet settled, by event id. */
  private readonly decryptedKinds = new Map<string, MessageKind>();

  /**
   * Monitoring as configured. prom-client (with the metrics code) is loaded only when metrics are
   * enabled: several MiB of memory that other installs keep.
   */
  static async create(options: MonitoringOptions): Promise<Monitoring> {
    if (!options.config.metrics.enabled) return new Monitoring(options);
    const { PrometheusMetrics } = await import("./metrics.js");
    return new Monitoring(options, PrometheusMetrics);
  }

  /** With metrics enabled, pass the PrometheusMetrics class (or use `create`, which loads it). */
  constructor(
    private readonly options: MonitoringOptions,
    Prometheus?: typeof PrometheusMetrics,
  ) {
    const { store, logger } = options;
    if (options.config.metrics.enabled) {
      if (!Prometheus)
        throw new Error("Monitoring with metrics enabled needs PrometheusMetrics: use Monitoring.create");
      this.prometheus = new Prometheus(
        {
          loginStates: async () => (await this.logins?.loginStates()) ?? [],
          pendingSignalEvents: () => store.pendingSignalEventCount(),
          pendingMatrixEvents: () => store.matrixJournal.pendingCount(),
          portals: () => store.bridge.portalCounts(),
          ghosts: () => store.bridge.ghostCount(),
        },
        (what, error) => logger.warn(`metrics: counting ${what} failed; it is not reported again`, error),
      );
      this.metrics = this.prometheus;
    } else {
      this.metrics = noMetrics;
    }
  }

  /** Counts the Matrix libraries' requests, then serves the metrics (when enabled). */
  async start(logins: LoginStates): Promise<void> {
    this.logins = logins;
    if (!this.prometheus) return;
    this.unmeter = meterMatrixRequests(this.metrics);
    const listen = this.options.config.metrics.listen;
    try {
      this.server = await startMetricsServer(listen, this.prometheus);
    } catch (error) {
      this.unmeter();
      throw new ConfigError("the config file", [
        {
          key: "metrics.listen",
          problem: `cannot listen on ${listen}: ${(error as Error).message}`,
          fix: "choose an address of this machine and a free port, or set metrics.enabled to false",
        },
      ]);
    }
    this.options.logger.info(`metrics served at http://${this.server.address}/metrics`);
  }

  async stop(): Promise<void> {
    this.unmeter?.();
    await this.server?.close();
  }

  /** Start-up now waits for `what` (undefined: it finished); /ready says so until then. */
  startupWaitsFor(what: string | undefined): void {
    this.waitingFor = what;
  }

  serveHealth(app: Application): void {
    const { store, config } = this.options;
    const homeserverUrl = config.homeserver.url;
    const homeserverProblem = cachedProbe(async () => {
      try {
        const answer = await homeserverRequest(homeserverUrl, "/_matrix/client/versions", {
          timeoutMs: HOMESERVER_PROBE_TIMEOUT_MS,
        });
        return answer.status >= 200 && answer.status < 300 ? undefined : `it answered ${answer.status}`;
      } catch (error) {
        return describeRequestFailure(error, HOMESERVER_PROBE_TIMEOUT_MS);
      }
    }, HOMESERVER_PROBE_MAX_AGE_MS);
    serveHealth(app, {
      startupPending: () => this.waitingFor,
      databaseAnswers: () => store.answers(),
      homeserverProblem,
    });
  }

  /** What LoginManager tells: Signal events bridged, reconnects, Signal requests. */
  get loginObserver(): LoginObserver {
    const metrics = this.metrics;
    return {
      eventSettled: (event: BufferedSignalEvent, outcome: RelayOutcome, handedAt: number) =>
        metrics.relayed("signal_to_matrix", signalEventKind(event), outcome, Date.now() - handedAt),
      reconnecting: () => metrics.signalReconnect(),
      ...(this.prometheus
        ? {
            onRequest: (report: SignalRequestReport) =>
              metrics.signalRequest(
                report.type,
                report.operation,
                report.ok ? "success" : "error",
                report.durationMs,
              ),
          }
        : {}),
    };
  }

  /**
   * An encrypted event as it read once decrypted: it counts as the kind its clear content is, not
   * as `m.room.encrypted`.
   */
  decrypted(clear: Record<string, unknown>): void {
    const eventId = clear["event_id"];
    if (!this.prometheus || typeof eventId !== "string") return;
    // Entries a stop interrupted are never settled; they must not pile up.
    if (this.decryptedKinds.size >= MAX_DECRYPTED_KINDS) this.decryptedKinds.clear();
    this.decryptedKinds.set(eventId, matrixEventKind(clear));
  }

  /** A journaled Matrix event is done with (see RoomQueues). */
  matrixEventSettled(entry: JournalEntry, outcome: RelayOutcome): void {
    const eventId = entry.event["event_id"];
    const decrypted = typeof eventId === "string" ? this.decryptedKinds.get(eventId) : undefined;
    if (decrypted !== undefined) this.decryptedKinds.delete(eventId as string);
    const kind = decrypted ?? matrixEventKind(entry.event);
    this.metrics.relayed("matrix_to_signal", kind, outcome, Date.now() - entry.receivedAt);
  }
}
