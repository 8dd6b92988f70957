// Keeps one authenticated chat connection open: reconnects with exponential backoff and jitter,
// probes the connection with keep-alive requests, and turns "this device is gone" into a final
// logged-out state instead of a reconnect loop.
import { ErrorCode, LibSignalErrorBase } from "@signalapp/libsignal-client";
import type {
  AuthenticatedChatConnection,
  ChatServerMessageAck,
  Net,
} from "@signalapp/libsignal-client/dist/net.js";
import { chatRequest } from "./chat-api.js";
import { SignalClientError } from "./errors.js";
import type { ConnectionState } from "./events.js";

export interface ReconnectPolicy {
  /** First retry delay. */
  minDelayMs: number;
  /** Upper bound of the delay (before jitter). */
  maxDelayMs: number;
  /** Interval of keep-alive requests on an open connection. */
  keepAliveMs: number;
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = {
  minDelayMs: 1_000,
  maxDelayMs: 60_000,
  keepAliveMs: 30_000,
};

export interface ChatConnectionHandlers {
  onEnvelope(envelope: Uint8Array, serverTimestamp: number, ack: ChatServerMessageAck): void;
  onQueueEmpty(): void;
  onConnected(connection: AuthenticatedChatConnection): void;
  onState(state: ConnectionState, detail: string | null): void;
}

const KEEP_ALIVE_TIMEOUT_MS = 20_000;

function describe(error: unknown): string {
  if (error instanceof LibSignalErrorBase) return `${ErrorCode[error.code] ?? "error"}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Errors that mean the server no longer accepts this device: retrying cannot help. */
export function isLoggedOutError(error: unknown): boolean {
  if (!(error instanceof LibSignalErrorBase)) return false;
  return (
    error.code === ErrorCode.DeviceDelinked ||
    error.code === ErrorCode.ConnectionInvalidated ||
    error.code === ErrorCode.RequestUnauthorized
  );
}

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, with full jitter in its upper half. */
export function reconnectDelay(
  attempt: number,
  policy: ReconnectPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** How long a request waits for the chat connection before it fails (as a transient failure). */
const CONNECTION_WAIT_MS = 30_000;

/** No chat connection came up in time: the service or the network is away for now. */
export class NotConnectedError extends SignalClientError {
  constructor(waitedMs: number) {
    super(`Not connected to Signal (waited ${Math.round(waitedMs / 1000)} s for the connection).`);
  }
}

export class ChatConnectionKeeper {
  private stopped = false;
  private current: AuthenticatedChatConnection | null = null;
  private readonly stopController = new AbortController();
  private loop: Promise<void> | null = null;
  private waiters: Array<(connection: AuthenticatedChatConnection) => void> = [];

  constructor(
    private readonly net: Net,
    private readonly username: string,
    private readonly password: string,
    private readonly handlers: ChatConnectionHandlers,
    private readonly policy: ReconnectPolicy = DEFAULT_RECONNECT_POLICY,
  ) {}

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** The open connection, or null while (re)connecting. */
  get connection(): AuthenticatedChatConnection | null {
    return this.current;
  }

  /**
   * Resolves with the open connection (at once if there is one). Rejects with NotConnectedError
   * after `timeoutMs` without one, so a caller is not held for as long as the service is away
   * (it may wait and try again without holding anything meanwhile).
   */
  waitForConnection(timeoutMs = CONNECTION_WAIT_MS): Promise<AuthenticatedChatConnection> {
    if (this.current) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const waiter = (connection: AuthenticatedChatConnection) => {
        clearTimeout(timer);
        resolve(connection);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new NotConnectedError(timeoutMs));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopController.abort();
    const connection = this.current;
    this.current = null;
    await connection?.disconnect().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let first = true;
    while (!this.stopped) {
      this.handlers.onState(first ? "connecting" : "reconnecting", null);
      first = false;
      let interruption: unknown;
      try {
        interruption = await this.connectAndServe();
        attempt = 0;
      } catch (error) {
        interruption = error;
      }
      if (this.stopped) break;
      if (isLoggedOutError(interruption)) {
        this.handlers.onState("logged-out", describe(interruption));
        return;
      }
      this.handlers.onState("error", interruption ? describe(interruption) : "connection closed");
      await this.sleep(reconnectDelay(attempt++, this.policy));
    }
    this.handlers.onState("stopped", null);
  }

  /** Connects, serves until the connection is interrupted, and returns the cause. */
  private async connectAndServe(): Promise<unknown> {
    let interrupted!: (cause: unknown) => void;
    const whenInterrupted = new Promise<unknown>((resolve) => {
      interrupted = resolve;
    });
    const connection = await this.net.connectAuthenticatedChat(
      this.username,
      this.password,
      false,
      {
        onIncomingMessage: (envelope, timestamp, ack) => this.handlers.onEnvelope(envelope, timestamp, ack),
        onQueueEmpty: () => this.handlers.onQueueEmpty(),
        onConnectionInterrupted: (cause) => interrupted(cause),
      },
      { abortSignal: this.stopController.signal },
    );
    if (this.stopped) {
      await connection.disconnect().catch(() => undefined);
      return null;
    }
    this.current = connection;
    this.handlers.onState("connected", null);
    this.handlers.onConnected(connection);
    for (const waiter of this.waiters.splice(0)) waiter(connection);
    const keepAlive = setInterval(() => void this.keepAlive(connection), this.policy.keepAliveMs);
    try {
      return await whenInterrupted;
    } finally {
      clearInterval(keepAlive);
      if (this.current === connection) this.current = null;
    }
  }

  // A connection that stops answering is closed, which lets the loop reconnect.
  private async keepAlive(connection: AuthenticatedChatConnection): Promise<void> {
    try {
      const timeout = AbortSignal.timeout(KEEP_ALIVE_TIMEOUT_MS);
      const response = await Promise.race([
        chatRequest(connection, "GET", "/v1/keepalive"),
        new Promise<never>((_, reject) => timeout.addEventListener("abort", () => reject(timeout.reason))),
      ]);
      if (response.status >= 500) throw new Error(`keep-alive answered ${response.status}`);
    } catch {
      if (this.current === connection) await connection.disconnect().catch(() => undefined);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.stopController.signal;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
