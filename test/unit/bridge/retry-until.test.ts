import assert from "node:assert/strict";
import { test } from "node:test";
import { type RetryClock, retryUntil } from "../../../src/bridge/retry-until.js";
import { recordingLogger } from "./fake-clock.js";

/** A clock whose sleeps pass at once, recording their lengths. */
function instantClock(): RetryClock & { sleeps: number[] } {
  let time = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => time,
    sleep: async (ms) => {
      sleeps.push(ms);
      time += ms;
    },
  };
}

const messages = {
  what: "the peer to answer",
  firstFailure: (why: string) => `peer unreachable: ${why}`,
  stillFailing: (why: string, seconds: number) => `still waiting (${why}), ${seconds} s`,
  recovered: (seconds: number) => `peer answers after ${seconds} s`,
};
const policy = { minDelayMs: 500, maxDelayMs: 10_000, reminderIntervalMs: 30_000 };

test("one warning at the first failure, debug after, a reminder at most every 30 s, info once it works", async () => {
  const logger = recordingLogger();
  const clock = instantClock();
  let tries = 0;
  await retryUntil({
    ...messages,
    logger,
    clock,
    policy,
    attempt: async () => (++tries < 12 ? "connection refused" : null),
  });

  assert.equal(tries, 12);
  assert.deepEqual(
    clock.sleeps,
    [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000],
  );
  const notDebug = logger.lines.filter((line) => !line.startsWith("debug"));
  assert.deepEqual(notDebug, [
    "warn peer unreachable: connection refused",
    "info still waiting (connection refused), 36 s",
    "info still waiting (connection refused), 66 s",
    "info peer answers after 76 s",
  ]);
  assert.ok(
    logger.lines.includes("debug waiting for the peer to answer: try 2 failed: connection refused"),
    logger.lines.join("\n"),
  );
});

test("nothing is logged when the first try works", async () => {
  const logger = recordingLogger();
  await retryUntil({ ...messages, logger, clock: instantClock(), policy, attempt: async () => null });
  assert.deepEqual(logger.lines, []);
});

test("a cause already explained elsewhere is not a second warning", async () => {
  const logger = recordingLogger();
  let tries = 0;
  await retryUntil({
    ...messages,
    logger,
    clock: instantClock(),
    policy,
    alreadyExplained: true,
    attempt: async () => (++tries < 2 ? "refused" : null),
  });
  assert.deepEqual(logger.lines, ["info peer unreachable: refused", "info peer answers after 1 s"]);
});
