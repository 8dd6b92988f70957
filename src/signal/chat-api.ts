// JSON requests over a libsignal chat connection (REST-over-websocket).
import type { ChatConnection } from "@signalapp/libsignal-client/dist/net.js";
import { ServiceRequestError } from "./errors.js";

const REQUEST_TIMEOUT_MS = 30_000;

export interface ChatApiResponse {
  status: number;
  /** The parsed JSON body, or undefined when there was none (or it was not JSON). */
  json: unknown;
  /** Header names in lower case (a rate-limited send says in `Retry-After` how long to wait). */
  headers: ReadonlyMap<string, string>;
}

/** Anything that can carry chat requests: an authenticated or unauthenticated connection. */
export type ChatRequester = Pick<ChatConnection, "fetch">;

/**
 * Sends a request with an optional JSON body; returns the status and the parsed JSON body (or
 * undefined). `timeoutMs` is for requests the server holds on purpose (long polls).
 */
export async function chatRequest(
  connection: ChatRequester,
  verb: string,
  path: string,
  body?: unknown,
  headers: ReadonlyArray<[string, string]> = [],
  timeoutMs = REQUEST_TIMEOUT_MS,
): Promise<ChatApiResponse> {
  const allHeaders: Array<[string, string]> = [...headers];
  let encoded: Uint8Array<ArrayBuffer> | undefined;
  if (body !== undefined) {
    allHeaders.push(["content-type", "application/json"]);
    encoded = new TextEncoder().encode(JSON.stringify(body));
  }
  const response = await connection.fetch({
    verb,
    path,
    headers: allHeaders,
    body: encoded,
    timeoutMillis: timeoutMs,
  });
  let json: unknown;
  if (response.body && response.body.length > 0) {
    try {
      json = JSON.parse(new TextDecoder().decode(response.body));
    } catch {
      json = undefined;
    }
  }
  return {
    status: response.status,
    json,
    headers: new Map(response.headers.map(([name, value]) => [name.toLowerCase(), value])),
  };
}

/** Like chatRequest, but throws ServiceRequestError unless the status is 2xx. */
export async function chatRequestOk(
  connection: ChatRequester,
  verb: string,
  path: string,
  body?: unknown,
  headers: ReadonlyArray<[string, string]> = [],
): Promise<unknown> {
  const response = await chatRequest(connection, verb, path, body, headers);
  if (response.status < 200 || response.status >= 300) {
    throw new ServiceRequestError(verb, path, response.status, describe(response.json));
  }
  return response.json;
}

function describe(json: unknown): string {
  if (json && typeof json === "object" && "error" in json && typeof json.error === "string")
    return json.error;
  return "";
}

export function toBase64(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
}

export function fromBase64(value: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(value, "base64"));
}
