// Plain HTTPS to the storage service, groups service and CDNs (chat traffic goes through libsignal).
// Streams both ways so large attachments are never held whole in memory by this layer.
import { request } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import type { SignalEnvironment } from "./environment.js";
import { ServiceRequestError } from "./errors.js";

const DEFAULT_TIMEOUT_MS = 60_000;

export interface HttpsRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** A whole body, or a stream (sent chunked unless content-length is given in headers). */
  body?: Uint8Array | Readable;
  signal?: AbortSignal;
  /** Idle time without any socket activity before the request fails. */
  timeoutMs?: number;
}

export interface HttpsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The response body; consume or destroy it. */
  body: Readable;
}

/** Sends one HTTPS request, trusting the environment's CA for a local test server. */
export function httpsRequest(
  environment: SignalEnvironment,
  url: string,
  options: HttpsRequestOptions = {},
): Promise<HttpsResponse> {
  const method = options.method ?? "GET";
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: options.headers,
        signal: options.signal,
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(environment.kind === "local-test" ? { ca: environment.caCertificatePem } : {}),
      },
      (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
    );
    req.on("timeout", () =>
      req.destroy(new Error(`${method} ${new URL(url).pathname}: no response in time`)),
    );
    req.on("error", reject);
    const body = options.body;
    if (body instanceof Readable) {
      body.on("error", (error) => req.destroy(error));
      body.pipe(req);
    } else {
      req.end(body);
    }
  });
}

/** Reads a whole response body; fails once it grows past `maxBytes`. */
export async function readBody(response: HttpsResponse, maxBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      response.body.destroy();
      throw new Error(`response body is larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** Sends a request and returns the whole body; throws ServiceRequestError unless the status is 2xx. */
export async function httpsRequestOk(
  environment: SignalEnvironment,
  url: string,
  options: HttpsRequestOptions & { maxBytes?: number } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Uint8Array }> {
  const response = await httpsRequest(environment, url, options);
  const body = await readBody(response, options.maxBytes ?? 16 * 1024 * 1024);
  if (response.status < 200 || response.status >= 300) {
    const reason = new TextDecoder().decode(body.subarray(0, 200));
    throw new ServiceRequestError(options.method ?? "GET", new URL(url).pathname, response.status, reason);
  }
  return { status: response.status, headers: response.headers, body };
}
