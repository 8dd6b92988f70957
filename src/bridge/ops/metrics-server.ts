// The metrics listener: its own small HTTP server (metrics.listen), apart from the appservice
// listener the homeserver talks to, so the figures can stay on a private address.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface MetricsPage {
  contentType: string;
  render(): Promise<string>;
}

export interface MetricsServer {
  /** host:port it listens on (the port chosen by the system when 0 was asked for). */
  address: string;
  close(): Promise<void>;
}

/** "127.0.0.1:8001" or "[::1]:8001" -> host and port. */
export function parseListenAddress(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || !(port >= 0 && port <= 65535)) throw new Error(`"${listen}" is not host:port`);
  return { host: match[1] ?? match[2]!, port };
}

export async function startMetricsServer(listen: string, page: MetricsPage): Promise<MetricsServer> {
  const { host, port } = parseListenAddress(listen);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (request.method !== "GET" && request.method !== "HEAD")) {
      response.writeHead(404, { "content-type": "text/plain" }).end("Not found. Metrics are at /metrics.\n");
      return;
    }
    page.render().then(
      (text) => response.writeHead(200, { "content-type": page.contentType }).end(text),
      (error: unknown) =>
        response.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.family === "IPv6" ? `[${bound.address}]` : bound.address}:${bound.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
