import assert from "node:assert/strict";
import { test } from "node:test";
import type { LoginEvent } from "../../../../src/bridge/logins.js";
import type { BridgeState } from "../../../../src/bridge/ops/bridge-state.js";
import {
  BridgeStates,
  DISCONNECT_NOTICE_DELAY_MS,
  type StatusNotices,
} from "../../../../src/bridge/ops/bridge-states.js";
import type { ConnectionState } from "../../../../src/signal/index.js";
import { FakeClock, recordingLogger, settle } from "../fake-clock.js";

const alice = "@alice:example.org";
const account = { aci: "0b7e4b8c-8f0e-4f40-9d36-0d0ad4b1c7a1", pni: "p", number: "+15550001", deviceId: 2 };
const connection = (state: ConnectionState, detail: string | null = null): LoginEvent => ({
  type: "connection",
  account,
  state,
  detail,
});

function setting(notices: StatusNotices, post?: (state: BridgeState) => Promise<void>) {
  const clock = new FakeClock();
  const told: string[] = [];
  const posted: BridgeState[] = [];
  const states = new BridgeStates({
    post: async (state) => {
      posted.push(state);
      await post?.(state);
    },
    notices,
    notify: async (_userId, text) => void told.push(text),
    logger: recordingLogger(),
    clock,
  });
  return { clock, told, posted, states };
}

test("each change of a login goes to the status endpoint, in order, and repeats are left out", async () => {
  const { posted, states } = setting("none");
  states.handle(alice, { type: "starting", account });
  await settle();
  states.handle(alice, connection("connecting"));
  await settle();
  states.handle(alice, connection("connected"));
  states.handle(alice, connection("connected"));
  await settle();
  states.handle(alice, connection("error", "connection reset"));
  await settle();
  states.handle(alice, connection("reconnecting"));
  await settle();
  states.handle(alice, connection("connected"));
  await settle();
  assert.deepEqual(
    posted.map((s) => s.state_event),
    ["STARTING", "CONNECTING", "CONNECTED", "TRANSIENT_DISCONNECT", "CONNECTED"],
  );
  assert.equal(posted[3]?.message, "connection reset");
  assert.equal(states.stateOf(alice)?.state_event, "CONNECTED");
});

test("changes that come faster than the endpoint takes them are sent as the latest one", async () => {
  const { posted, states } = setting("none");
  states.handle(alice, { type: "starting", account });
  states.handle(alice, connection("connecting"));
  states.handle(alice, connection("connected"));
  await settle();
  assert.deepEqual(
    posted.map((s) => s.state_event),
    ["STARTING", "CONNECTED"],
  );
});

test("a state the endpoint does not take is sent again, unless a newer one replaces it", async () => {
  let failures = 2;
  const { clock, posted, states } = setting("none", async () => {
    if (failures-- > 0) throw new Error("503");
  });
  states.handle(alice, connection("connected"));
  await settle();
  assert.equal(posted.length, 1);
  await clock.advance(2_000);
  assert.equal(posted.length, 2, "sent again after 2 s");
  states.handle(alice, connection("logged-out", "unlinked"));
  await clock.advance(4_000);
  // The retry of CONNECTED gave way to BAD_CREDENTIALS, which the endpoint took.
  assert.deepEqual(
    posted.map((s) => s.state_event),
    ["CONNECTED", "CONNECTED", "BAD_CREDENTIALS"],
  );
  await clock.advance(120_000);
  assert.equal(posted.length, 3, "nothing more once taken");
});

test("errors mode: bad credentials are told, and the recovery after them", async () => {
  const { told, states } = setting("errors");
  states.handle(alice, { type: "starting", account });
  states.handle(alice, connection("connected"));
  await settle();
  assert.deepEqual(told, []);
  states.handle(alice, connection("logged-out", "unlinked"));
  await settle();
  assert.equal(told.length, 1);
  assert.match(told[0]!, /^State update for \+15550001: BAD_CREDENTIALS: .*unlinked/);
  states.handle(alice, { type: "starting", account });
  states.handle(alice, connection("connected"));
  await settle();
  assert.equal(told.length, 2);
  assert.equal(told[1], "State update for +15550001: CONNECTED");
});

test("errors mode: a disconnection is told only when it lasts 3 minutes", async () => {
  const { clock, told, states } = setting("errors");
  states.handle(alice, connection("connected"));
  states.handle(alice, connection("error", "connection reset"));
  await clock.advance(DISCONNECT_NOTICE_DELAY_MS - 1_000);
  states.handle(alice, connection("connected"));
  await clock.advance(DISCONNECT_NOTICE_DELAY_MS);
  assert.deepEqual(told, [], "a short disconnection is not told");

  states.handle(alice, connection("error", "connection reset"));
  states.handle(alice, connection("reconnecting"));
  await clock.advance(DISCONNECT_NOTICE_DELAY_MS);
  assert.deepEqual(told, [
    "State update for +15550001: TRANSIENT_DISCONNECT (signal-connection-error) not resolved after waiting 3 minutes: connection reset",
  ]);
  states.handle(alice, connection("connected"));
  await settle();
  assert.equal(told[1], "State update for +15550001: CONNECTED");
});

test("all mode tells every change; none tells nothing", async () => {
  const all = setting("all");
  const none = setting("none");
  const events = [
    { type: "starting", account },
    connection("connecting"),
    connection("connected"),
    { type: "removed" },
  ];
  for (const event of events as LoginEvent[]) {
    all.states.handle(alice, event);
    none.states.handle(alice, event);
    await settle();
  }
  assert.deepEqual(all.told, [
    "State update for +15550001: STARTING",
    "State update for +15550001: CONNECTING",
    "State update for +15550001: CONNECTED",
    "State update for +15550001: LOGGED_OUT",
  ]);
  assert.deepEqual(none.told, []);
  assert.equal(none.posted.length, 4, "the endpoint hears every change whatever the notices");
});

test("after a logout the login has no state, and its last one still names the account", async () => {
  const { posted, states } = setting("none");
  states.handle(alice, connection("connected"));
  states.handle(alice, { type: "removed" });
  await settle();
  assert.equal(states.stateOf(alice), undefined);
  const last = posted.at(-1);
  assert.equal(last?.state_event, "LOGGED_OUT");
  assert.equal(last?.remote_id, account.aci);
  assert.equal(last?.user_id, alice);
});

test("without a status endpoint, states are still kept for ping and whoami", () => {
  const states = new BridgeStates({
    notices: "none",
    notify: async () => undefined,
    logger: recordingLogger(),
    clock: new FakeClock(),
  });
  states.handle(alice, connection("connected"));
  assert.equal(states.stateOf(alice)?.state_event, "CONNECTED");
});
