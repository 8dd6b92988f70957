import assert from "node:assert/strict";
import { test } from "node:test";
import { reconnectDelay } from "../../../src/signal/chat-connection.js";

const policy = { minDelayMs: 1_000, maxDelayMs: 60_000, keepAliveMs: 30_000 };

test("reconnect delays grow exponentially up to the cap", () => {
  const highest = (attempt: number): number => reconnectDelay(attempt, policy, () => 1);
  assert.deepEqual([0, 1, 2, 3].map(highest), [1_000, 2_000, 4_000, 8_000]);
  assert.equal(highest(20), 60_000);
});

test("jitter spreads reconnects over the upper half of the window", () => {
  assert.equal(
    reconnectDelay(3, policy, () => 0),
    4_000,
  );
  assert.equal(
    reconnectDelay(3, policy, () => 0.5),
    6_000,
  );
  assert.equal(
    reconnectDelay(3, policy, () => 1),
    8_000,
  );
});
