import assert from "node:assert/strict";
import { test } from "node:test";
import {
  backoffDelay,
  isOpaqueJoinFailure,
  retryVerdictOf,
  retryWhileTransient,
  RetryStoppedError,
} from "../../../src/bridge/retry-policy.js";
import {
  RateLimitError,
  SendError,
  ServiceRequestError,
  UnregisteredRecipientError,
} from "../../../src/signal/index.js";

const matrixError = (statusCode: number, extra: object = {}) =>
  Object.assign(new Error(`HTTP ${statusCode}`), { statusCode, ...extra });

test("a peer that is away or overloaded is transient; a refusal is not", () => {
  const transient = [
    matrixError(502),
    matrixError(503),
    matrixError(429, { errcode: "M_LIMIT_EXCEEDED", retryAfterMs: 1234 }),
    Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8008"), { code: "ECONNREFUSED" }),
    new TypeError("fetch failed", { cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }) }),
    new SendError("could not be delivered", {
      cause: new ServiceRequestError("PUT", "/v1/messages/x", 503, ""),
    }),
    new RateLimitError("aci", 7),
  ];
  for (const error of transient) assert.equal(retryVerdictOf(error).transient, true, String(error));
  assert.equal(retryVerdictOf(transient[2]).retryAfterMs, 1234);
  assert.equal(retryVerdictOf(transient[6]).retryAfterMs, 7000);
  const challenge = retryVerdictOf(new RateLimitError("aci", null, "challenge-token", ["captcha"]));
  assert.deepEqual(
    challenge,
    { transient: true, retryAfterMs: 600_000 },
    "held for the user, checked now and then",
  );

  const permanent = [
    matrixError(403, { errcode: "M_FORBIDDEN" }),
    matrixError(400),
    new UnregisteredRecipientError("aci"),
    new TypeError("x is not a function"),
    new SendError("could not be delivered", {
      cause: new ServiceRequestError("PUT", "/v1/messages/x", 413, ""),
    }),
  ];
  for (const error of permanent) assert.equal(retryVerdictOf(error).transient, false, String(error));
});

test("the wait doubles up to half a minute, with jitter, and honours a longer retry-after", () => {
  const none = { transient: true };
  assert.equal(
    backoffDelay(1, none, () => 1),
    1000,
  );
  assert.equal(
    backoffDelay(2, none, () => 1),
    2000,
  );
  assert.equal(
    backoffDelay(30, none, () => 1),
    30_000,
  );
  assert.equal(
    backoffDelay(30, none, () => 0),
    15_000,
  );
  assert.equal(
    backoffDelay(1, { transient: true, retryAfterMs: 45_000 }, () => 1),
    45_000,
  );
});

test("retryWhileTransient waits out transient failures, throws a permanent one, and stops when told", async () => {
  const stop = new AbortController();
  let calls = 0;
  const waits: number[] = [];
  const result = await retryWhileTransient(
    async () => {
      if (++calls < 4) throw matrixError(502);
      return "done";
    },
    { signal: stop.signal, onRetry: () => undefined, sleep: async (ms) => void waits.push(ms) },
  );
  assert.equal(result, "done");
  assert.equal(waits.length, 3);

  await assert.rejects(
    retryWhileTransient(() => Promise.reject(matrixError(403)), {
      signal: stop.signal,
      onRetry: () => undefined,
    }),
    /HTTP 403/,
  );

  const stopping = retryWhileTransient(() => Promise.reject(matrixError(502)), {
    signal: stop.signal,
    onRetry: () => setImmediate(() => stop.abort()),
  });
  await assert.rejects(stopping, RetryStoppedError);
});

test("a failure that hides its cause is retried when a second look finds the peer away", async () => {
  const stop = new AbortController();
  let calls = 0;
  let homeserverUp = false;
  const result = await retryWhileTransient(
    async () => {
      if (++calls === 3) homeserverUp = true;
      if (!homeserverUp) throw new Error("Failed to join room");
      return "joined";
    },
    {
      signal: stop.signal,
      onRetry: () => undefined,
      sleep: async () => undefined,
      reconsider: async (error) => isOpaqueJoinFailure(error) && !homeserverUp,
    },
  );
  assert.equal(result, "joined");
  await assert.rejects(
    retryWhileTransient(() => Promise.reject(new Error("Failed to join room")), {
      signal: stop.signal,
      onRetry: () => undefined,
      reconsider: async () => false,
    }),
    /Failed to join room/,
  );
});
