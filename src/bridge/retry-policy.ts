// When the bridge waits and tries again, and when it gives up: a peer that is away (the homeserver
// or Signal) is waited for as long as it takes, so nothing is lost and nothing overtakes; a refusal
// that sending again cannot change is reported once and the next event goes on.
import { isNetworkError, type RetryVerdict, signalRetryVerdict } from "../signal/index.js";

export type { RetryVerdict };

/** First wait after a transient failure; doubled each time up to {@link MAX_BACKOFF_MS}. */
const BASE_BACKOFF_MS = 1000;
/** The longest wait between two attempts, so a peer that is back is noticed within half a minute. */
const MAX_BACKOFF_MS = 30_000;
/** A peer's own `retry_after` is honoured up to this; longer ones are likely a mistake. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** The verdict on a failed Matrix request (matrix-bot-sdk's MatrixError, or a raw error response). */
export function matrixRetryVerdict(error: unknown): RetryVerdict | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { statusCode, errcode, retryAfterMs, body } = error as {
    statusCode?: unknown;
    errcode?: unknown;
    retryAfterMs?: unknown;
    body?: { retry_after_ms?: unknown } | null;
  };
  if (typeof statusCode !== "number") return undefined;
  const transient =
    statusCode >= 500 || statusCode === 429 || statusCode === 408 || errcode === "M_LIMIT_EXCEEDED";
  if (!transient) return { transient: false };
  const after = typeof retryAfterMs === "number" ? retryAfterMs : body?.retry_after_ms;
  return { transient: true, retryAfterMs: typeof after === "number" ? after : undefined };
}

/** Whether `error` is worth retrying, and after how long its peer asked for. */
export function retryVerdictOf(error: unknown): RetryVerdict {
  return (
    signalRetryVerdict(error) ??
    matrixRetryVerdict(error) ?? { transient: isNetworkError(error) || isRetryWithoutCode(error) }
  );
}

/**
 * Failures whose only mark is their message: matrix-bot-sdk's HTTP client reports a dropped
 * connection as "socket hang up" and a refused one as an Error with the code.
 */
function isRetryWithoutCode(error: unknown): boolean {
  return error instanceof Error && /socket hang up|network timeout|other side closed/i.test(error.message);
}

/** The wait before attempt `attempt + 1` (attempt counts from 1): capped exponential, with jitter. */
export function backoffDelay(attempt: number, verdict: RetryVerdict, random = Math.random): number {
  const exponential = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.min(attempt - 1, 20));
  const jittered = exponential / 2 + (random() * exponential) / 2;
  const asked = Math.min(verdict.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
  return Math.max(jittered, asked);
}

/** Thrown from {@link retryWhileTransient} when it was stopped while waiting. */
export class RetryStoppedError extends Error {
  override name = "RetryStoppedError";
}

export interface RetryOptions {
  /** Stops the waiting (at shutdown or logout): the operation is left undone, to resume later. */
  signal: AbortSignal;
  /** Called before each wait, to log what failed; `attempt` counts from 1. */
  onRetry(error: unknown, attempt: number, delayMs: number): void;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * A second look at a failure judged permanent, for errors that hide their cause (the appservice
   * library's "Failed to join room"): true makes it transient after all.
   */
  reconsider?: (error: unknown) => Promise<boolean>;
}

/**
 * Runs `operation` until it succeeds or fails permanently (then its error is thrown), waiting
 * between attempts while failures are transient. Never gives up on a transient failure, unless
 * stopped: then the last transient error is thrown (or RetryStoppedError during a wait). The
 * first attempt is made even when already stopped, so work in hand still gets its one try.
 */
export async function retryWhileTransient<T>(operation: () => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? abortableSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      let verdict = retryVerdictOf(error);
      if (!verdict.transient && (await options.reconsider?.(error))) verdict = { transient: true };
      if (!verdict.transient || options.signal.aborted) throw error;
      const delay = backoffDelay(attempt, verdict);
      options.onRetry(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}

/** Resolves after `ms`, or rejects with RetryStoppedError as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new RetryStoppedError("stopped while waiting to retry"));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new RetryStoppedError("stopped while waiting to retry"));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The appservice library reports any failure to join a room, a homeserver that is down included,
 * as this one message, without its cause.
 */
export function isOpaqueJoinFailure(error: unknown): boolean {
  return error instanceof Error && error.message === "Failed to join room";
}
