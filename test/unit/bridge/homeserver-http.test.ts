import assert from "node:assert/strict";
import { test } from "node:test";
import { describeAnswer, describeRequestFailure } from "../../../src/bridge/homeserver-http.js";

/** What Node's fetch throws when no answer came: a TypeError wrapping the system error. */
function fetchFailure(cause: unknown): TypeError {
  return new TypeError("fetch failed", { cause });
}

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:8008`), { code });
}

test("network failures are named in words an operator can act on", () => {
  const cases: Array<[unknown, string]> = [
    [fetchFailure(systemError("ECONNREFUSED")), "connection refused"],
    [fetchFailure(systemError("ENOTFOUND")), "host name not found"],
    [fetchFailure(systemError("EAI_AGAIN")), "host name lookup failed (temporary DNS failure)"],
    [fetchFailure(systemError("ECONNRESET")), "connection reset"],
    [fetchFailure(systemError("EHOSTUNREACH")), "host unreachable"],
    [fetchFailure(systemError("UND_ERR_CONNECT_TIMEOUT")), "connection timed out"],
    [
      fetchFailure(systemError("DEPTH_ZERO_SELF_SIGNED_CERT")),
      "its TLS certificate is self-signed and not trusted",
    ],
    [
      fetchFailure(systemError("ERR_TLS_CERT_ALTNAME_INVALID")),
      "its TLS certificate is for another host name",
    ],
    // localhost resolves to ::1 and 127.0.0.1: both tried, both refused.
    [
      fetchFailure(new AggregateError([systemError("ECONNREFUSED"), systemError("ECONNREFUSED")], "")),
      "connection refused",
    ],
    [fetchFailure(new Error("bad port")), "fetch refuses to connect to that port; use another one"],
    [new DOMException("The operation was aborted due to timeout", "TimeoutError"), "no answer within 10 s"],
  ];
  for (const [error, words] of cases) assert.equal(describeRequestFailure(error, 10_000), words);
});

test("an unknown system error is named by its code, anything else by the first line of its message", () => {
  assert.equal(describeRequestFailure(fetchFailure(systemError("EWEIRD")), 10_000), "EWEIRD");
  assert.equal(describeRequestFailure(new Error("first line\n    at somewhere"), 10_000), "first line");
});

test("an answer is described by status, errcode and message", () => {
  assert.equal(
    describeAnswer({
      status: 401,
      body: { errcode: "M_UNKNOWN_TOKEN", error: "Invalid access token passed." },
    }),
    "HTTP 401 M_UNKNOWN_TOKEN (Invalid access token passed.)",
  );
  assert.equal(describeAnswer({ status: 502, body: null }), "HTTP 502");
});
