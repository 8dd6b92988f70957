import assert from "node:assert/strict";
import { test } from "node:test";
import { explainPingAnswer, type PingContext } from "../../../src/bridge/homeserver-ping.js";

const context: PingContext = {
  appserviceId: "signal",
  registrationUrl: "http://bridge.internal:29328",
  configuredAddress: "http://bridge.internal:29328",
  listening: "0.0.0.0:29328",
  registrationPath: "/etc/signal-bridge/registration.yaml",
};

const answer = (status: number, body: Record<string, unknown> | null = null) => ({ status, body });

test("a successful ping gives the homeserver's round trip", () => {
  assert.deepEqual(explainPingAnswer(answer(200, { duration_ms: 12 }), context), {
    kind: "ok",
    durationMs: 12,
  });
});

test("an unknown as_token: the registration is not loaded, or its tokens differ", () => {
  for (const refused of [
    answer(401, { errcode: "M_UNKNOWN_TOKEN", error: "Invalid access token passed." }),
    answer(401, { errcode: "M_MISSING_TOKEN" }),
    answer(401),
  ]) {
    const outcome = explainPingAnswer(refused, context);
    assert.equal(outcome.kind, "refused");
    assert.ok("explanation" in outcome);
    assert.match(outcome.explanation, /does not know the bridge's as_token/);
    assert.match(
      outcome.explanation,
      /add \/etc\/signal-bridge\/registration\.yaml to app_service_config_files/,
    );
    assert.match(outcome.explanation, /other tokens/);
  }
});

test("M_FORBIDDEN: the appservice id does not match", () => {
  const outcome = explainPingAnswer(
    answer(403, { errcode: "M_FORBIDDEN", error: "Mismatching application service ID in path" }),
    context,
  );
  assert.equal(outcome.kind, "refused");
  assert.ok("explanation" in outcome);
  assert.match(outcome.explanation, /not as appservice "signal"/);
  assert.match(outcome.explanation, /appservice\.id/);
});

test("the homeserver cannot reach the bridge: the explanation names appservice.address and its value", () => {
  for (const unreachable of [
    answer(502, { errcode: "M_CONNECTION_FAILED", error: "ConnectError: connection refused" }),
    answer(502),
  ]) {
    const outcome = explainPingAnswer(unreachable, context);
    assert.equal(outcome.kind, "failed");
    assert.ok("explanation" in outcome);
    assert.match(
      outcome.explanation,
      /cannot reach the bridge at http:\/\/bridge\.internal:29328 \(appservice\.address\)/,
    );
    assert.match(outcome.explanation, /listening on 0\.0\.0\.0:29328/);
  }
  const timedOut = explainPingAnswer(answer(504, { errcode: "M_CONNECTION_TIMEOUT" }), context);
  assert.ok("explanation" in timedOut);
  assert.match(
    timedOut.explanation,
    /requests to the bridge at http:\/\/bridge\.internal:29328 \(appservice\.address\) time out/,
  );
});

test("a registration url that differs from appservice.address is pointed out", () => {
  const moved = { ...context, configuredAddress: "http://signal-bridge:29328" };
  const outcome = explainPingAnswer(answer(502, { errcode: "M_CONNECTION_FAILED" }), moved);
  assert.ok("explanation" in outcome);
  assert.match(
    outcome.explanation,
    /registration says http:\/\/bridge\.internal:29328 but appservice\.address is http:\/\/signal-bridge:29328/,
  );
});

test("the bridge refusing the homeserver's hs_token means the homeserver's copy has other tokens", () => {
  const outcome = explainPingAnswer(
    answer(502, { errcode: "M_BAD_STATUS", status: 403, body: "{}" }),
    context,
  );
  assert.equal(outcome.kind, "failed");
  assert.ok("explanation" in outcome);
  assert.match(outcome.explanation, /refused its hs_token/);
  const other = explainPingAnswer(answer(502, { errcode: "M_BAD_STATUS", status: 404 }), context);
  assert.ok("explanation" in other);
  assert.match(other.explanation, /HTTP 404\) is not this bridge/);
});

test("a homeserver without the ping (before Matrix v1.7) is not a problem", () => {
  assert.equal(explainPingAnswer(answer(404, { errcode: "M_UNRECOGNIZED" }), context).kind, "unsupported");
  assert.equal(explainPingAnswer(answer(404), context).kind, "unsupported");
});
