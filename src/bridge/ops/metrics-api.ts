// What the rest of the bridge reports metrics through, apart from metrics.ts: that one loads
// prom-client, which only installs with metrics enabled need (bridge/ops/monitoring.ts imports it
// then).
import type { RelayOutcome } from "../relay-outcome.js";
import type { MessageKind } from "./message-kinds.js";

export type Direction = "signal_to_matrix" | "matrix_to_signal";
export type RequestOutcome = "success" | "error";

/**
 * What the bridge reports. Every method is cheap (a counter or histogram update) and never throws:
 * a metric must not become a failure of the event it counts.
 */
export interface BridgeMetrics {
  /** One event relayed (or not); `latencyMs` from its arrival at the bridge to the other side's acceptance. */
  relayed(direction: Direction, kind: MessageKind, outcome: RelayOutcome, latencyMs?: number): void;
  /** One HTTP request to the homeserver; `endpoint` is a template such as `rooms/send`. */
  matrixRequest(method: string, endpoint: string, outcome: RequestOutcome, durationMs: number): void;
  /** One request on a Signal chat connection, or one send to a chat's recipients or our own devices. */
  signalRequest(type: "chat" | "send", operation: string, outcome: RequestOutcome, durationMs: number): void;
  /** A login's chat connection was lost and is being made again. */
  signalReconnect(): void;
}

/** When metrics are off: nothing is counted and nothing costs. */
export const noMetrics: BridgeMetrics = {
  relayed: () => undefined,
  matrixRequest: () => undefined,
  signalRequest: () => undefined,
  signalReconnect: () => undefined,
};

/** Figures read when Prometheus asks (from the database and the logins), not counted along the way. */
export interface MetricSources {
  /** The connection state of each login ("stopped" for an account whose client is not running). */
  loginStates(): Promise<Iterable<string>>;
  /** Signal events buffered and not yet bridged, across accounts. */
  pendingSignalEvents(): Promise<number>;
  /** Matrix events journaled and not yet handled. */
  pendingMatrixEvents(): Promise<number>;
  portals(): Promise<{ direct: number; group: number }>;
  ghosts(): Promise<number>;
}
