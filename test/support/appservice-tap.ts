/**
 * An HTTP relay between the homeserver and the bridge's appservice listener that notes every
 * transaction the homeserver pushes (its id, event ids and the bridge's answer). A test can then
 * wait until the bridge has taken in an event (answered its transaction with 200) before it
 * stops the homeserver: Synapse loses events it had not yet pushed when it is stopped (a
 * transaction it stored but did not send is sent again only if it had marked the appservice
 * down), which is not the bridge's to fix. While the bridge is down the relay drops the
 * homeserver's connections, as a refused connection would.
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { waitFor, withTimeout } from "./wait.js";

export interface TapDelivery {
  txnId: string;
  eventIds: string[];
  /** The bridge's answer, or undefined when it gave none (down, or the connection broke). */
  status: number | undefined;
}

export interface AppserviceTap {
  /** The URL the homeserver's registration points at. */
  url: string;
  readonly deliveries: readonly TapDelivery[];
  /** Waits until a transaction carrying `eventId` was answered 200. */
  waitForTakenIn(eventId: string, options: { timeoutMs: number; what: string }): Promise<void>;
  close(): Promise<void>;
}

const TRANSACTION_PATH = /^\/_matrix\/app\/v1\/transactions\/([^/?]+)/;

async function bodyOf(message: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of message as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function eventIdsOf(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { events?: unknown };
    if (!Array.isArray(parsed.events)) return [];
    return parsed.events
      .map((event) => (event as { event_id?: unknown } | null)?.event_id)
      .filter((id): id is string => typeof id === "string");
  } catch {
    return [];
  }
}

/** Starts a relay on an ephemeral loopback port that forwards everything to `targetUrl`. */
export async function startAppserviceTap(targetUrl: string): Promise<AppserviceTap> {
  const target = new URL(targetUrl);
  const deliveries: TapDelivery[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    void (async () => {
      const body = await bodyOf(incoming);
      const txn = TRANSACTION_PATH.exec(incoming.url ?? "");
      const delivery: TapDelivery | undefined = txn
        ? { txnId: decodeURIComponent(txn[1]!), eventIds: eventIdsOf(body), status: undefined }
        : undefined;
      if (delivery) deliveries.push(delivery);
      const forwarded = request(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: target.host },
        },
        (answer) => {
          if (delivery) delivery.status = answer.statusCode;
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on("error", () => incoming.socket.destroy());
      forwarded.end(body);
    })().catch(() => incoming.socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the tap has no port");

  return {
    url: `http://127.0.0.1:${address.port}`,
    deliveries,
    async waitForTakenIn(eventId, { timeoutMs, what }) {
      await waitFor(
        () => deliveries.some((delivery) => delivery.status === 200 && delivery.eventIds.includes(eventId)),
        {
          timeoutMs,
          what: () =>
            `${what} (deliveries carrying it: ${JSON.stringify(deliveries.filter((d) => d.eventIds.includes(eventId)))})`,
        },
      );
    },
    async close() {
      server.closeAllConnections();
      await withTimeout(
        new Promise<void>((resolve) => server.close(() => resolve())),
        5_000,
        "the appservice tap to close",
      );
    },
  };
}
