import type { Logger } from "../logger.js";

/** Capped exponential backoff, and how often a failure that goes on is mentioned again. */
export interface RetryPolicy {
  minDelayMs: number;
  maxDelayMs: number;
  reminderIntervalMs: number;
}

/** Start-up waits for a peer that is away: a few quick tries, then every 10 s, a reminder every 30 s. */
export const START_UP_RETRY: RetryPolicy = {
  minDelayMs: 500,
  maxDelayMs: 10_000,
  reminderIntervalMs: 30_000,
};

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RetryUntilOptions {
  /** What is being waited for, for the debug lines ("the homeserver to answer"). */
  what: string;
  /** One try: null once it worked, otherwise why not yet, in words. Throwing ends the retries. */
  attempt: () => Promise<string | null>;
  logger: Logger;
  /** The line for the first failure (warn, or info when `alreadyExplained`). */
  firstFailure: (why: string) => string;
  /** A short reminder (info), at most once per `reminderIntervalMs`. */
  stillFailing: (why: string, seconds: number) => string;
  /** Logged (info) when it worked after failing. */
  recovered: (seconds: number) => string;
  /** Another line already warned about the cause: the first failure is info, not a second warning. */
  alreadyExplained?: boolean;
  policy?: RetryPolicy;
  clock?: RetryClock;
}

/**
 * Repeats `attempt` with capped backoff until it works. The operator gets one clear line when it
 * first fails, a short reminder now and then, and a line when it recovers; the rest is debug.
 */
export async function retryUntil(options: RetryUntilOptions): Promise<void> {
  const { logger } = options;
  const policy = options.policy ?? START_UP_RETRY;
  const clock = options.clock ?? realClock;
  const started = clock.now();
  const seconds = () => Math.round((clock.now() - started) / 1000);
  let lastReminder = started;
  for (let failures = 0; ; failures++) {
    const why = await options.attempt();
    if (why === null) {
      if (failures > 0) logger.info(options.recovered(seconds()));
      return;
    }
    if (failures === 0) {
      const line = options.firstFailure(why);
      if (options.alreadyExplained) logger.info(line);
      else logger.warn(line);
    } else if (clock.now() - lastReminder >= policy.reminderIntervalMs) {
      lastReminder = clock.now();
      logger.info(options.stillFailing(why, seconds()));
    } else {
      logger.debug(`waiting for ${options.what}: try ${failures + 1} failed: ${why}`);
    }
    await clock.sleep(Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** failures));
  }
}
