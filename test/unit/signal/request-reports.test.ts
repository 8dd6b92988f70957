// The Signal client tells whoever listens what each request and send cost, and nothing else.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  chatOperationOf,
  reported,
  reportingRequester,
  type SignalRequestReport,
} from "../../../src/signal/request-reports.js";

test("chat operations keep the verb and the first two path segments, never ids", () => {
  assert.equal(chatOperationOf("put", "/v1/messages/5e1b-aci?story=false"), "PUT /v1/messages");
  assert.equal(chatOperationOf("GET", "/v1/profile/aci/version/credential"), "GET /v1/profile");
  assert.equal(chatOperationOf("GET", "/v1/keepalive"), "GET /v1/keepalive");
});

test("a chat request is reported with its outcome; a non-2xx answer is not ok", async () => {
  const reports: SignalRequestReport[] = [];
  const statuses = [200, 409];
  const requester = reportingRequester(
    {
      fetch: async () => ({ status: statuses.shift()!, message: "", headers: [], body: undefined }) as never,
    },
    (report) => reports.push(report),
  );
  const request = { verb: "PUT", path: "/v1/messages/x", headers: [] as Array<[string, string]> };
  assert.equal((await requester.fetch(request)).status, 200);
  assert.equal((await requester.fetch(request)).status, 409);
  assert.deepEqual(
    reports.map(({ type, operation, ok }) => [type, operation, ok]),
    [
      ["chat", "PUT /v1/messages", true],
      ["chat", "PUT /v1/messages", false],
    ],
  );
  assert.ok(reports.every((report) => report.durationMs >= 0));
});

test("a send is reported after it ends, failed or not; a broken reporter changes nothing", async () => {
  const reports: SignalRequestReport[] = [];
  assert.equal(
    await reported(
      (r) => reports.push(r),
      "send",
      "direct",
      async () => 42,
    ),
    42,
  );
  await assert.rejects(
    reported(
      (r) => reports.push(r),
      "send",
      "group",
      async () => {
        throw new Error("unregistered");
      },
    ),
    /unregistered/,
  );
  assert.deepEqual(
    reports.map(({ operation, ok }) => [operation, ok]),
    [
      ["direct", true],
      ["group", false],
    ],
  );
  const broken = () => {
    throw new Error("counter broke");
  };
  assert.equal(await reported(broken, "send", "own_devices", async () => "sent"), "sent");
  assert.equal(await reported(undefined, "send", "own_devices", async () => "unobserved"), "unobserved");
});
