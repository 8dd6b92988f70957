// Plain HTTPS to the storage service, groups service and CDNs (chat traffic goes through libsignal).
// Streams both ways so large attachments are never held whole in memory by this layer.
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import { createSecureContext, rootCertificates } from "node:tls";
import type { SignalEnvironment } from "./environment.js";
import { ServiceRequestError } from "./errors.js";

const DEFAULT_TIMEOUT_MS = 60_000;
/** How long an idle connection is kept for the next request (as Node's global agent does). */
const IDLE_SOCKET_MS = 5_000;

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

/**
 * The CAs a Signal HTTPS host's certificate may chain to: for the real service what Node trusts
 * by default (its public roots and the NODE_EXTRA_CA_CERTS file, e.g. of a TLS-inspecting proxy)
 * and Signal's own root (storage and CDN hosts use the latter; some may move to a public CA); for
 * a local test server only its own CA.
 */
export function trustedCaCertificates(environment: SignalEnvironment): readonly string[] {
  return environment.kind === "production"
    ? [...rootCertificates, ...nodeExtraCaCertificates(), ...environment.extraCaCertificatesPem]
    : [environment.caCertificatePem];
}

// Node adds this file to its default roots only when no CAs are given; giving ours drops it.
function nodeExtraCaCertificates(): string[] {
  const file = process.env["NODE_EXTRA_CA_CERTS"];
  if (!file) return [];
  try {
    return [readFileSync(file, "utf8")];
  } catch {
    // Node warns about an unreadable file at startup and goes on without it; so do we.
    return [];
  }
}

// One agent per environment: its TLS context (parsing some 150 roots) is built once, and its
// connections are reused only by requests that trust the same CAs.
const agents = new WeakMap<SignalEnvironment, Agent>();

function agentFor(environment: SignalEnvironment): Agent {
  let agent = agents.get(environment);
  if (!agent) {
    agent = new Agent({
      keepAlive: true,
      timeout: IDLE_SOCKET_MS,
      secureContext: createSecureContext({ ca: [...trustedCaCertificates(environment)] }),
    });
    agents.set(environment, agent);
  }
  return agent;
}

/** Sends one HTTPS request, trusting the CAs of the environment (see trustedCaCertificates). */
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
        agent: agentFor(environment),
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
