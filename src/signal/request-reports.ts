// Reports of the client's requests to Signal, for whoever counts them: the client keeps no
// figures itself, it only tells a callback what it did and how long it took.
import type { ChatRequester } from "./chat-api.js";

export interface SignalRequestReport {
  /** chat: one request on the authenticated chat connection; send: one message to a destination. */
  type: "chat" | "send";
  /**
   * For chat requests the verb and the first two path segments (`GET /v1/profile`); for sends
   * where the message went: `direct`, `group` or `own_devices` (sync messages, transcripts).
   */
  operation: string;
  ok: boolean;
  durationMs: number;
}

export type SignalRequestReporter = (report: SignalRequestReport) => void;

/** `PUT /v1/messages/<id>?story=false` -> `PUT /v1/messages`: the ids stay out. */
export function chatOperationOf(verb: string, path: string): string {
  const segments = (path.split("?")[0] ?? "").split("/").filter((segment) => segment.length > 0);
  return `${verb.toUpperCase()} /${segments.slice(0, 2).join("/")}`;
}

/** Runs `task`, then tells `reporter` how it went; the reporter's failures are not the task's. */
export async function reported<T>(
  reporter: SignalRequestReporter | undefined,
  type: SignalRequestReport["type"],
  operation: string,
  task: () => Promise<T>,
): Promise<T> {
  if (!reporter) return task();
  const started = performance.now();
  let ok = false;
  try {
    const result = await task();
    ok = true;
    return result;
  } finally {
    try {
      reporter({ type, operation, ok, durationMs: performance.now() - started });
    } catch {
      // Counting must never fail a request.
    }
  }
}

/** `requester` with each request reported; a status outside 2xx counts as not ok. */
export function reportingRequester(
  requester: ChatRequester,
  reporter: SignalRequestReporter | undefined,
): ChatRequester {
  if (!reporter) return requester;
  return {
    fetch: async (request, options) => {
      const started = performance.now();
      let ok = false;
      try {
        const response = await requester.fetch(request, options);
        ok = response.status >= 200 && response.status < 300;
        return response;
      } finally {
        try {
          const operation = chatOperationOf(request.verb, request.path);
          reporter({ type: "chat", operation, ok, durationMs: performance.now() - started });
        } catch {
          // Counting must never fail a request.
        }
      }
    },
  };
}
