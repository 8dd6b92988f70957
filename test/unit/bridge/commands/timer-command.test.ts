import assert from "node:assert/strict";
import { test } from "node:test";
import { parseTimer } from "../../../../src/bridge/commands/timer-command.js";
import { timerSecondsOf } from "../../../../src/bridge/timers-from-matrix.js";

test("timers are read as Signal's apps offer them, and in combinations", () => {
  assert.equal(parseTimer("off"), 0);
  assert.equal(parseTimer("0"), 0);
  assert.equal(parseTimer("30s"), 30);
  assert.equal(parseTimer("5m"), 300);
  assert.equal(parseTimer("1h"), 3600);
  assert.equal(parseTimer("1d"), 86_400);
  assert.equal(parseTimer("1w"), 604_800);
  assert.equal(parseTimer("1h30m"), 5400);
  assert.equal(parseTimer("2 days"), 172_800);
  assert.equal(parseTimer("1 Week"), 604_800);
});

test("what is no duration is refused", () => {
  for (const text of ["", "soon", "5", "5x", "m5", "1h and 5m", "-5m", "99999999999w"]) {
    assert.equal(parseTimer(text), undefined, JSON.stringify(text));
  }
});

test("the timer room state reads as seconds; other kinds of timers are not Signal's", () => {
  assert.equal(timerSecondsOf({ type: "after_read", timer: 3_600_000 }), 3600);
  assert.equal(timerSecondsOf({ timer: 1500 }), 2, "rounded to whole seconds");
  assert.equal(timerSecondsOf({}), 0, "an empty state is off");
  assert.equal(timerSecondsOf({ type: "after_send", timer: 0 }), 0);
  assert.equal(timerSecondsOf({ type: "after_send", timer: 60_000 }), undefined);
});
