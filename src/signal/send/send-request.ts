// A chat request whose answer keeps its headers: a rate-limited send says in `Retry-After` how
// long to wait, and the user needs to hear that.
import type { ChatRequester } from "../chat-api.js";

const REQUEST_TIMEOUT_MS = 30_000;

export interface SendResponse {
  status: number;
  /** The parsed JSON body, or undefined when there was none (or it was not JSON). */
  json: unknown;
  /** Header names in lower case. */
  headers: ReadonlyMap<string, string>;
}

export async function sendRequest(
  connection: ChatRequester,
  verb: string,
  path: string,
  body?: unknown,
  headers: ReadonlyArray<[string, string]> = [],
): Promise<SendResponse> {
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
    timeoutMillis: REQUEST_TIMEOUT_MS,
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
