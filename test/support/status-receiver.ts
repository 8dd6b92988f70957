/** A status endpoint for tests: a small HTTP server that keeps each bridge state POSTed to it. */
import { createServer, type Server } from "node:http";
import { waitFor } from "./wait.js";

export interface ReceivedState {
  authorization: string | undefined;
  body: Record<string, unknown>;
}

export interface StatusReceiver {
  url: string;
  received: ReceivedState[];
  /** Waits for a state matching `matches` and returns it. */
  waitForState(matches: (body: Record<string, unknown>) => boolean, what: string): Promise<ReceivedState>;
  close(): Promise<void>;
}

export async function startStatusReceiver(): Promise<StatusReceiver> {
  const received: ReceivedState[] = [];
  const server: Server = createServer((request, response) => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (text += chunk));
    request.on("end", () => {
      try {
        received.push({ authorization: request.headers.authorization, body: JSON.parse(text) });
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      } catch {
        response.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the status receiver has no port");
  return {
    url: `http://127.0.0.1:${address.port}/bridge-state`,
    received,
    async waitForState(matches, what) {
      let found: ReceivedState | undefined;
      await waitFor(() => (found = received.find((state) => matches(state.body))) !== undefined, {
        timeoutMs: 30_000,
        what: () =>
          `${what} at the status endpoint (received: ${received.map((s) => String(s.body["state_event"])).join(", ") || "nothing"})`,
      });
      return found!;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
