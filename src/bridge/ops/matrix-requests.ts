// Counts and times every HTTP request the Matrix libraries make to the homeserver.
//
// matrix-bot-sdk (under matrix-appservice-bridge) also has a `Metrics` hook, but it times its
// client *functions*: they call one another (sendText -> sendMessage -> sendEvent), each timed,
// and requests made through `doRequest` (which the bridge and the library use a lot) are not
// timed at all. Its request function (`setRequestFn`) is where every request goes out, once, so
// that is where they are counted.
import { botSdkModule } from "../bot-sdk-module.js";
import type { BridgeMetrics } from "./metrics.js";

interface RequestParams {
  method?: string;
  uri?: string;
}
type RequestCallback = (error: unknown, response?: { statusCode?: number }, body?: unknown) => void;
type RequestFn = (params: RequestParams, callback: RequestCallback) => unknown;

interface RequestModule {
  getRequestFn(): RequestFn;
  setRequestFn(fn: RequestFn): void;
}

const versionSegment = /^(v\d+|r\d+|unstable)$/;
/**
 * Path words (rooms, send, createRoom ...). Ids and event types have other characters; the length
 * cap keeps out transaction ids that happen to be letters only.
 */
const wordSegment = /^[a-zA-Z_]{1,30}$/;
const MAX_ENDPOINT_WORDS = 3;

/**
 * The endpoint of a Matrix URL with its ids left out, a label with few values:
 * `/_matrix/client/v3/rooms/!r:hs/send/m.room.message/t1` is `rooms/send`,
 * `/_matrix/media/v3/upload` is `media/upload`.
 */
export function endpointOf(uri: string): string {
  let segments: string[];
  try {
    segments = new URL(uri).pathname.split("/").filter((segment) => segment.length > 0);
  } catch {
    return "other";
  }
  if (segments[0] !== "_matrix" || segments.length < 2) return "other";
  const api = segments[1]!;
  const rest = segments.slice(2);
  if (rest[0] !== undefined && versionSegment.test(rest[0])) rest.shift();
  const words = rest.filter((segment) => wordSegment.test(segment)).slice(0, MAX_ENDPOINT_WORDS);
  return [...(api === "client" ? [] : [api]), ...words].join("/") || api;
}

const knownMethods = new Set(["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"]);

/**
 * Wraps the library's request function so each request is reported to `metrics` when it ends.
 * Process-wide (every client of every ghost uses it); returns the function that undoes it.
 */
export function meterMatrixRequests(
  metrics: BridgeMetrics,
  now: () => number = () => performance.now(),
  requests: RequestModule = botSdkModule<RequestModule>(),
): () => void {
  const original = requests.getRequestFn();
  const metered: RequestFn = (params, callback) => {
    const started = now();
    return original(params, (error, response, body) => {
      try {
        const upper = String(params.method ?? "GET").toUpperCase();
        const method = knownMethods.has(upper) ? upper : "OTHER";
        const status = response?.statusCode;
        const ok = !error && status !== undefined && status >= 200 && status < 300;
        metrics.matrixRequest(
          method,
          endpointOf(String(params.uri ?? "")),
          ok ? "success" : "error",
          now() - started,
        );
      } catch {
        // Counting must never stand between the library and its answer.
      }
      callback(error, response, body);
    });
  };
  requests.setRequestFn(metered);
  return () => {
    if (requests.getRequestFn() === metered) requests.setRequestFn(original);
  };
}
