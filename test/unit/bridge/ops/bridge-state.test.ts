import assert from "node:assert/strict";
import { test } from "node:test";
import { bridgeState, changeOf, changeOfConnection } from "../../../../src/bridge/ops/bridge-state.js";

const account = { aci: "0b7e4b8c-8f0e-4f40-9d36-0d0ad4b1c7a1", pni: "p", number: "+15550001", deviceId: 2 };

test("the Signal client's connection states map to mautrix's state names", () => {
  const names = (["connecting", "connected", "reconnecting", "error", "logged-out", "stopped"] as const).map(
    (state) => changeOfConnection(state, null)?.state_event ?? null,
  );
  assert.deepEqual(names, [
    "CONNECTING",
    "CONNECTED",
    "TRANSIENT_DISCONNECT",
    "TRANSIENT_DISCONNECT",
    "BAD_CREDENTIALS",
    null,
  ]);
});

test("a connection error is a transient disconnect with an error code and its cause", () => {
  assert.deepEqual(changeOfConnection("error", "connection reset"), {
    state_event: "TRANSIENT_DISCONNECT",
    error: "signal-connection-error",
    message: "connection reset",
  });
});

test("refused credentials say the device was unlinked, with the cause", () => {
  const change = changeOfConnection("logged-out", "403 from the chat service");
  assert.equal(change?.state_event, "BAD_CREDENTIALS");
  assert.match(change?.message ?? "", /unlinked.*\(403 from the chat service\)$/);
});

test("login events: starting, a start that failed, and a logout", () => {
  assert.deepEqual(changeOf({ type: "starting", account }), { state_event: "STARTING" });
  assert.deepEqual(changeOf({ type: "start-failed", account, error: new Error("database locked") }), {
    state_event: "UNKNOWN_ERROR",
    error: "signal-start-failed",
    message: "database locked",
  });
  assert.deepEqual(changeOf({ type: "removed" }), { state_event: "LOGGED_OUT" });
  assert.deepEqual(changeOf({ type: "connection", account, state: "connected", detail: null }), {
    state_event: "CONNECTED",
  });
});

test("the full state has mautrix's fields: seconds, TTL by kind, the login's ID, name and profile", () => {
  const now = 1_700_000_123_456;
  assert.deepEqual(bridgeState({ state_event: "CONNECTED" }, "@alice:example.org", account, now), {
    state_event: "CONNECTED",
    timestamp: 1_700_000_123,
    ttl: 21600,
    source: "bridge",
    user_id: "@alice:example.org",
    remote_id: account.aci,
    remote_name: "+15550001",
    remote_profile: { phone: "+15550001" },
  });
  const failed = bridgeState(
    { state_event: "TRANSIENT_DISCONNECT", error: "signal-connection-error" },
    "@alice:example.org",
    { aci: account.aci, number: null },
    now,
  );
  assert.equal(failed.ttl, 3600);
  assert.equal(failed.remote_name, undefined);
  assert.equal(
    bridgeState({ state_event: "LOGGED_OUT" }, "@alice:example.org", undefined, now).remote_id,
    undefined,
  );
});
