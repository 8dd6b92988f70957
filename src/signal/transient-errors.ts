// Which failures of the Signal client are worth retrying: the service or the connection to it was
// away for a while, as opposed to a refusal that sending again cannot change.
import { ErrorCode, LibSignalErrorBase } from "@signalapp/libsignal-client";
import { NotConnectedError } from "./chat-connection.js";
import { ServiceRequestError } from "./errors.js";
import { RateLimitError } from "./send/send-errors.js";

/** How a failure should be treated: `transient` ones may succeed later, after `retryAfterMs` if given. */
export interface RetryVerdict {
  transient: boolean;
  retryAfterMs?: number | undefined;
}

/** How often a send held by a rate-limit challenge is tried again while the user has not answered it. */
const CHALLENGE_RECHECK_MS = 10 * 60_000;

const transientLibSignalCodes = new Set<ErrorCode>([
  ErrorCode.IoError,
  ErrorCode.ChatServiceInactive,
  ErrorCode.ConnectionInvalidated,
  ErrorCode.PossibleCaptiveNetwork,
  ErrorCode.Cancelled,
]);

/** Node's socket-level failures: the peer could not be reached or went away mid-request. */
const networkErrorCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/** True for a socket-level failure (connection refused, reset, timed out ...), looked for along `cause`. */
export function isNetworkError(error: unknown): boolean {
  return causes(error).some((e) => {
    const code = (e as { code?: unknown } | null)?.code;
    return typeof code === "string" && networkErrorCodes.has(code);
  });
}

/**
 * The verdict on a failure of the Signal client, or undefined when it is not one of the client's
 * (the caller then judges it otherwise). Looks along the `cause` chain, since sends wrap what
 * went wrong underneath.
 */
export function signalRetryVerdict(error: unknown): RetryVerdict | undefined {
  for (const e of causes(error)) {
    if (e instanceof NotConnectedError) return { transient: true };
    if (e instanceof RateLimitError) {
      // A challenge waits for the user (a captcha): held, and tried again now and then in case
      // the limit passed by itself, or at once when the challenge is answered.
      const asked = secondsToMs(e.retryAfterSeconds) ?? 0;
      if (e.challengeToken !== null)
        return { transient: true, retryAfterMs: Math.max(asked, CHALLENGE_RECHECK_MS) };
      return { transient: true, retryAfterMs: asked || undefined };
    }
    if (e instanceof ServiceRequestError) {
      const transient = e.status >= 500 || e.status === 429 || e.status === 408 || e.status === 0;
      if (transient) return { transient };
      continue; // a refusal wrapped around a network failure is judged by the failure
    }
    if (e instanceof LibSignalErrorBase) {
      if (e.code === ErrorCode.RateLimitedError) {
        return {
          transient: true,
          retryAfterMs: secondsToMs((e as { retryAfterSecs?: number }).retryAfterSecs),
        };
      }
      if (transientLibSignalCodes.has(e.code)) return { transient: true };
    }
  }
  if (isNetworkError(error)) return { transient: true };
  return undefined;
}

function secondsToMs(seconds: number | null | undefined): number | undefined {
  return typeof seconds === "number" && seconds >= 0 ? seconds * 1000 : undefined;
}

/** `error` and its causes, outermost first (bounded, in case of a cycle). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (
    let e = error;
    e !== undefined && e !== null && chain.length < 8;
    e = (e as { cause?: unknown }).cause
  ) {
    chain.push(e);
  }
  return chain;
}
