/**
 * A TCP proxy on loopback between the bridge and a server (the mock Signal server): it can hold
 * back the data of either direction for a while, as a slow network would, and cut every
 * connection and refuse new ones until restored, as an outage would. TLS passes through unchanged.
 */
import { createServer, type Server, type Socket, connect } from "node:net";
import { withTimeout } from "./wait.js";

export interface ProxyDelays {
  /** Milliseconds each chunk from the server waits before it is passed to the client. */
  toClientMs?: number;
  /** Milliseconds each chunk from the client waits before it is passed to the server. */
  toServerMs?: number;
}

export interface TcpProxy {
  /** The port clients connect to, on 127.0.0.1. */
  port: number;
  /** Changes the delays; chunks already waiting keep their order. */
  setDelays(delays: ProxyDelays): void;
  /** Drops every open connection and resets new ones until `restore()`. */
  cut(): void;
  restore(): void;
  /** Connections accepted since the proxy started (cut ones included). */
  readonly acceptedConnections: number;
  /** Connections open right now. */
  readonly openConnections: number;
  close(): Promise<void>;
}

/**
 * Passes chunks on in order, each no earlier than `delay()` after it arrived; the end of the
 * stream (null) waits behind the data before it.
 */
class DelayedPipe {
  private readonly waiting: Array<{ due: number; chunk: Buffer | null }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly to: Socket,
    private readonly delay: () => number,
  ) {}

  push(chunk: Buffer | null): void {
    const ms = this.delay();
    if (ms <= 0 && this.waiting.length === 0) {
      this.pass(chunk);
      return;
    }
    this.waiting.push({ due: Date.now() + ms, chunk });
    this.schedule();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting.length = 0;
  }

  private schedule(): void {
    if (this.timer || this.waiting.length === 0) return;
    const wait = Math.max(0, this.waiting[0]!.due - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      while (this.waiting.length > 0 && this.waiting[0]!.due <= now) {
        this.pass(this.waiting.shift()!.chunk);
      }
      this.schedule();
    }, wait);
  }

  private pass(chunk: Buffer | null): void {
    if (this.to.destroyed) return;
    if (chunk === null) this.to.end();
    else this.to.write(chunk);
  }
}

interface Pair {
  client: Socket;
  server: Socket;
  pipes: DelayedPipe[];
}

/** Starts a proxy on an ephemeral loopback port that forwards to 127.0.0.1:`targetPort`. */
export async function startTcpProxy(targetPort: number, delays: ProxyDelays = {}): Promise<TcpProxy> {
  let toClientMs = delays.toClientMs ?? 0;
  let toServerMs = delays.toServerMs ?? 0;
  let isCut = false;
  let accepted = 0;
  const pairs = new Set<Pair>();

  const drop = (pair: Pair) => {
    for (const pipe of pair.pipes) pipe.clear();
    pair.client.destroy();
    pair.server.destroy();
    pairs.delete(pair);
  };

  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    accepted += 1;
    if (isCut) {
      client.resetAndDestroy();
      return;
    }
    client.pause();
    const upstream = connect({ host: "127.0.0.1", port: targetPort, allowHalfOpen: true });
    upstream.pause();
    const pair: Pair = {
      client,
      server: upstream,
      pipes: [new DelayedPipe(upstream, () => toServerMs), new DelayedPipe(client, () => toClientMs)],
    };
    pairs.add(pair);
    const [toServer, toClient] = pair.pipes as [DelayedPipe, DelayedPipe];
    client.on("data", (chunk: Buffer) => toServer.push(chunk));
    upstream.on("data", (chunk: Buffer) => toClient.push(chunk));
    // An orderly end travels behind the data; a failure on either side drops both at once.
    client.once("end", () => toServer.push(null));
    upstream.once("end", () => toClient.push(null));
    for (const socket of [client, upstream]) {
      socket.on("error", () => drop(pair));
      socket.on("close", () => {
        if (client.destroyed && upstream.destroyed) pairs.delete(pair);
      });
    }
    upstream.once("connect", () => {
      client.resume();
      upstream.resume();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the proxy has no port");

  return {
    port: address.port,
    setDelays(next) {
      if (next.toClientMs !== undefined) toClientMs = next.toClientMs;
      if (next.toServerMs !== undefined) toServerMs = next.toServerMs;
    },
    cut() {
      isCut = true;
      for (const pair of [...pairs]) {
        for (const pipe of pair.pipes) pipe.clear();
        pair.client.resetAndDestroy();
        pair.server.destroy();
        pairs.delete(pair);
      }
    },
    restore() {
      isCut = false;
    },
    get acceptedConnections() {
      return accepted;
    },
    get openConnections() {
      return pairs.size;
    },
    async close() {
      for (const pair of [...pairs]) drop(pair);
      await withTimeout(
        new Promise<void>((resolve) => server.close(() => resolve())),
        5_000,
        "the TCP proxy to close",
      );
    },
  };
}
