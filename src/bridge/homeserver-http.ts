/**
 * Plain requests to the homeserver for the start-up checks. They bypass matrix-bot-sdk on purpose:
 * its client logs every non-2xx answer as an error, and at start-up several answers (no profile
 * yet, an unreachable homeserver) are expected and handled here.
 */

export interface HomeserverAnswer {
  status: number;
  /** The JSON body, or null if the body was not a JSON object. */
  body: Record<string, unknown> | null;
}

export interface HomeserverRequest {
  method?: "GET" | "POST" | "PUT";
  /** The appservice's as_token; sent as a bearer token. */
  token?: string;
  body?: unknown;
  timeoutMs: number;
}

/** The subset of `fetch` the start-up checks use; tests pass their own. */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Sends one request to `baseUrl` + `path` and returns its status and JSON body, whatever the
 * status. Rejects only when no answer came (connection refused, DNS, TLS, timeout).
 */
export async function homeserverRequest(
  baseUrl: string,
  path: string,
  request: HomeserverRequest,
  fetchImpl: Fetch = fetch,
): Promise<HomeserverAnswer> {
  const headers: Record<string, string> = {};
  if (request.token !== undefined) headers["authorization"] = `Bearer ${request.token}`;
  if (request.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetchImpl(`${baseUrl.replace(/\/+$/, "")}${path}`, {
    method: request.method ?? "GET",
    headers,
    ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
    signal: AbortSignal.timeout(request.timeoutMs),
  });
  const text = await response.text();
  let body: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) {
      body = parsed as Record<string, unknown>;
    }
  } catch {
    // Not JSON (a proxy's error page, say): the status alone has to tell.
  }
  return { status: response.status, body };
}

/** `errcode` of a Matrix error body, if it has one. */
export function errcodeOf(answer: HomeserverAnswer): string | undefined {
  const errcode = answer.body?.["errcode"];
  return typeof errcode === "string" ? errcode : undefined;
}

/** `401 M_UNKNOWN_TOKEN: Invalid access token` or as much of it as the answer has. */
export function describeAnswer(answer: HomeserverAnswer): string {
  const errcode = errcodeOf(answer);
  const error = answer.body?.["error"];
  return [
    `HTTP ${answer.status}`,
    errcode,
    typeof error === "string" && error.length > 0 ? `(${error.slice(0, 200)})` : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(" ");
}

const networkCauses: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection reset",
  UND_ERR_SOCKET: "connection closed unexpectedly",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed (temporary DNS failure)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_HEADERS_TIMEOUT: "no answer in time",
  CERT_HAS_EXPIRED: "its TLS certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "its TLS certificate is for another host name",
  DEPTH_ZERO_SELF_SIGNED_CERT: "its TLS certificate is self-signed and not trusted",
  SELF_SIGNED_CERT_IN_CHAIN: "its TLS certificate chain is not trusted (self-signed)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "its TLS certificate cannot be verified (missing intermediate?)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "its TLS certificate's issuer is not trusted",
  ERR_SSL_WRONG_VERSION_NUMBER: "it does not speak TLS there (http:// instead of https://?)",
  ERR_INVALID_URL: "it is not a valid URL",
};

function codeOf(error: unknown): string | undefined {
  if (error === null || typeof error !== "object") return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === "string") return code;
  // Several addresses tried (IPv6 and IPv4): each failed on its own.
  if (Array.isArray(errors)) return errors.map(codeOf).find((inner) => inner !== undefined);
  return undefined;
}

/**
 * Why a request got no answer, in words an operator can act on: "connection refused", "host
 * name not found", "no answer within 10 s" ... `fetch` wraps the cause of a network failure.
 */
export function describeRequestFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  }
  const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const code = codeOf(cause) ?? codeOf(error);
  if (code !== undefined) return networkCauses[code] ?? code;
  const message = cause instanceof Error ? cause.message : String(cause);
  // fetch refuses some ports outright (e.g. 1, 25, 6000), as browsers do.
  if (message === "bad port") return "fetch refuses to connect to that port; use another one";
  return message.split("\n")[0] ?? "unknown error";
}
