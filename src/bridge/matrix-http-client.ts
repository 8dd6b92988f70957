/**
 * The HTTP client under matrix-bot-sdk (every request of the bot, the ghosts and the appservice
 * library goes through it), on Node's own http module. matrix-bot-sdk makes its requests with the
 * deprecated `request` package unless given another function of the same shape (`setRequestFn`);
 * that package and what it loads (cookie jars, public suffix lists, HTTP signatures, HAR
 * validation with ajv, ...) cost several MiB of memory for features the bridge never uses.
 *
 * Only what matrix-bot-sdk asks of `request` is done here (its http.js `doHttpRequest`): method,
 * URL, query string (arrays repeated), headers, a string or Buffer body, a timeout, keep-alive
 * connections, the body answered as a string or (encoding null) a Buffer, redirects followed for
 * GET and HEAD. Failures look as they did: Node's network errors as they are, and a timeout as
 * `request` reported it (code ETIMEDOUT before an answer began, ESOCKETTIMEDOUT during it).
 */
import {
  Agent as HttpAgent,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request as httpRequest,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { stringify as stringifyQuery } from "node:querystring";
import { botSdkModule } from "./bot-sdk-module.js";

export interface RequestParams {
  uri: string;
  method?: string;
  qs?: Record<string, unknown> | null;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** undefined: the body is answered as a string; null: as a Buffer. */
  encoding?: null | undefined;
  timeout?: number;
}

export type RequestResponse = IncomingMessage & { body: string | Buffer };
export type RequestCallback = (
  error: Error | null,
  response?: RequestResponse,
  body?: string | Buffer,
) => void;

const MAX_REDIRECTS = 10;
const agents = {
  "http:": new HttpAgent({ keepAlive: true }),
  "https:": new HttpsAgent({ keepAlive: true }),
};

function timeoutError(answering: boolean): Error {
  const code = answering ? "ESOCKETTIMEDOUT" : "ETIMEDOUT";
  return Object.assign(new Error(code), { code, connect: false });
}

function urlOf(params: RequestParams): URL {
  const url = new URL(params.uri);
  const query = params.qs ? stringifyQuery(params.qs as Parameters<typeof stringifyQuery>[0]) : "";
  if (query) url.search = url.search ? `${url.search}&${query}` : `?${query}`;
  return url;
}

function send(url: URL, params: RequestParams, redirects: number, callback: RequestCallback): void {
  const method = (params.method ?? "GET").toUpperCase();
  const headers: OutgoingHttpHeaders = { ...params.headers };
  const body = params.body === undefined ? undefined : Buffer.from(params.body);
  if (body && !Object.keys(headers).some((name) => name.toLowerCase() === "content-length")) {
    headers["Content-Length"] = body.length;
  }
  const protocol = url.protocol === "https:" ? "https:" : "http:";
  const create = protocol === "https:" ? httpsRequest : httpRequest;
  let answered = false;
  let settled = false;
  const settle = (error: Error | null, response?: RequestResponse) => {
    if (settled) return;
    settled = true;
    if (error) callback(error);
    else callback(null, response, response?.body);
  };
  const request = create(url, { method, headers, agent: agents[protocol] }, (response) => {
    answered = true;
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if ((method === "GET" || method === "HEAD") && status >= 300 && status < 400 && location) {
      response.resume();
      if (redirects >= MAX_REDIRECTS) {
        settle(new Error(`too many redirects (${MAX_REDIRECTS}) from ${params.uri}`));
        return;
      }
      settled = true;
      send(new URL(location, url), params, redirects + 1, callback);
      return;
    }
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("error", (error) => settle(error));
    response.on("end", () => {
      const whole = Buffer.concat(chunks);
      const answer = response as RequestResponse;
      answer.body = params.encoding === null ? whole : whole.toString("utf8");
      settle(null, answer);
    });
  });
  if (params.timeout !== undefined && params.timeout > 0) {
    request.setTimeout(params.timeout, () => request.destroy(timeoutError(answered)));
  }
  request.on("error", (error) => settle(error));
  request.end(body);
}

/** A `request`-compatible function (the part matrix-bot-sdk uses). */
export function requestWithNode(params: RequestParams, callback: RequestCallback): void {
  let url: URL;
  try {
    url = urlOf(params);
  } catch (error) {
    queueMicrotask(() => callback(error as Error));
    return;
  }
  send(url, params, 0, callback);
}

/** Makes matrix-bot-sdk (process-wide) send its requests through {@link requestWithNode}. */
export function useNodeHttpForMatrix(): void {
  botSdkModule<{ setRequestFn(fn: typeof requestWithNode): void }>().setRequestFn(requestWithNode);
}
