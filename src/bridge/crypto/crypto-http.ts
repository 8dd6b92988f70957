// Requests the bridge's crypto makes to the homeserver: as the bot's device (its own access token:
// keys, to-device messages, /sync) or as the appservice acting for one of its users (room state).
// Failures carry statusCode and errcode like matrix-bot-sdk's errors, so retry-policy judges both alike.

/** A refusal or failure answer of the homeserver. */
export class HomeserverError extends Error {
  override name = "HomeserverError";
  constructor(
    readonly statusCode: number,
    readonly errcode: string | undefined,
    readonly body: Record<string, unknown> | null,
    what: string,
  ) {
    super(`${what}: HTTP ${statusCode}${errcode ? ` ${errcode}` : ""}${describeError(body)}`);
  }
}

function describeError(body: Record<string, unknown> | null): string {
  const error = body?.["error"];
  return typeof error === "string" && error.length > 0 ? ` (${error.slice(0, 200)})` : "";
}

export interface CryptoHttpRequest {
  method: "GET" | "POST" | "PUT";
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Aborts the request (e.g. a long /sync when the bridge stops). */
  signal?: AbortSignal;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** JSON requests to the homeserver with one bearer token. */
export class CryptoHttp {
  constructor(
    private readonly homeserverUrl: string,
    private readonly token: string,
  ) {}

  async request(request: CryptoHttpRequest): Promise<Record<string, unknown>> {
    const url = new URL(`${this.homeserverUrl.replace(/\/+$/, "")}${request.path}`);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    const timeout = AbortSignal.timeout(request.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const response = await fetch(url, {
      method: request.method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(request.body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      signal: request.signal ? AbortSignal.any([request.signal, timeout]) : timeout,
    });
    const text = await response.text();
    let body: Record<string, unknown> | null = null;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed))
        body = parsed as Record<string, unknown>;
    } catch {
      // Not JSON: the status has to tell.
    }
    if (!response.ok || body === null) {
      const errcode = typeof body?.["errcode"] === "string" ? body["errcode"] : undefined;
      throw new HomeserverError(response.status, errcode, body, `${request.method} ${request.path}`);
    }
    return body;
  }
}
