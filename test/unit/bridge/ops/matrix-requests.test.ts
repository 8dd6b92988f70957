// Every request the Matrix libraries make is counted once, under an endpoint without ids.
import assert from "node:assert/strict";
import { test } from "node:test";
import { endpointOf, meterMatrixRequests } from "../../../../src/bridge/ops/matrix-requests.js";
import { noMetrics, type BridgeMetrics } from "../../../../src/bridge/ops/metrics.js";

test("endpoints leave ids, event types and transaction ids out", () => {
  const hs = "http://hs:8008";
  const cases: Array<[string, string]> = [
    [`${hs}/_matrix/client/v3/rooms/!abc%3Ahs/send/m.room.message/m123.4`, "rooms/send"],
    [`${hs}/_matrix/client/v3/rooms/%21abc%3Ahs/state/m.room.member/%40signal_x%3Ahs`, "rooms/state"],
    [`${hs}/_matrix/client/v3/profile/%40signalbot%3Ahs/displayname`, "profile/displayname"],
    [`${hs}/_matrix/client/v3/register`, "register"],
    [`${hs}/_matrix/client/v3/createRoom`, "createRoom"],
    [`${hs}/_matrix/client/versions`, "versions"],
    [`${hs}/_matrix/client/v3/join/!room%3Ahs?server_name=hs`, "join"],
    [`${hs}/_matrix/client/v3/rooms/!r%3Ahs/typing/%40u%3Ahs`, "rooms/typing"],
    [`${hs}/_matrix/media/v3/upload?filename=a.png`, "media/upload"],
    [`${hs}/_matrix/client/unstable/org.matrix.msc2432/rooms/!r%3Ahs/aliases`, "rooms/aliases"],
    [`${hs}/somewhere/else`, "other"],
    ["not a url", "other"],
  ];
  for (const [uri, endpoint] of cases) assert.equal(endpointOf(uri), endpoint, uri);
});

type Callback = (error: unknown, response?: { statusCode?: number }, body?: unknown) => void;
type RequestFn = (params: { method?: string; uri?: string }, callback: Callback) => unknown;

test("the library's request function is wrapped: each request reported once with its outcome, then undone", async () => {
  const reports: Array<[string, string, string, number]> = [];
  const metrics: BridgeMetrics = {
    ...noMetrics,
    matrixRequest: (method, endpoint, outcome, durationMs) =>
      void reports.push([method, endpoint, outcome, durationMs]),
  };
  const answers: Array<[unknown, { statusCode?: number } | undefined]> = [
    [null, { statusCode: 200 }],
    [null, { statusCode: 404 }],
    [Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), undefined],
  ];
  const original: RequestFn = (_params, callback) => {
    const [error, response] = answers.shift()!;
    setImmediate(() => callback(error, response, "body"));
  };
  let current: RequestFn = original;
  const module = { getRequestFn: () => current, setRequestFn: (fn: RequestFn) => void (current = fn) };
  let clock = 0;
  const undo = meterMatrixRequests(metrics, () => (clock += 10), module);
  assert.notEqual(current, original);

  const call = (method: string, path: string) =>
    new Promise<unknown[]>((resolve) =>
      current({ method, uri: `http://hs${path}` }, (...args) => resolve(args)),
    );
  const first = await call("put", "/_matrix/client/v3/rooms/!r%3Ahs/send/m.room.message/t1");
  assert.deepEqual(first, [null, { statusCode: 200 }, "body"], "the answer reaches the library unchanged");
  await call("GET", "/_matrix/client/v3/profile/%40x%3Ahs/displayname");
  const refused = await call("GET", "/_matrix/client/versions");
  assert.match(String(refused[0]), /ECONNREFUSED/);
  assert.deepEqual(reports, [
    ["PUT", "rooms/send", "success", 10],
    ["GET", "profile/displayname", "error", 10],
    ["GET", "versions", "error", 10],
  ]);

  undo();
  assert.equal(current, original);
});

test("a metrics failure does not reach the library", async () => {
  const metrics: BridgeMetrics = {
    ...noMetrics,
    matrixRequest: () => {
      throw new Error("broken counter");
    },
  };
  let current: RequestFn = (_params, callback) => callback(null, { statusCode: 200 }, "ok");
  meterMatrixRequests(metrics, () => 0, {
    getRequestFn: () => current,
    setRequestFn: (fn: RequestFn) => void (current = fn),
  });
  const body = await new Promise((resolve) =>
    current({ method: "GET", uri: "http://hs/x" }, (_e, _r, b) => resolve(b)),
  );
  assert.equal(body, "ok");
});
