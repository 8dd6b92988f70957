import type { Logger } from "../logger.js";
import type { DisappearingEvent } from "../store/index.js";

/** Time and one-shot timers; tests pass a fake one. */
export interface Clock {
  now(): number;
  /** Calls `callback` after `delayMs`; the pending timer must not keep the process alive. */
  setTimer(callback: () => void, delayMs: number): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/** The events waiting to expire, persisted so a restart loses none (see DisappearingTables). */
export interface ExpiryQueue {
  nextDue(): Promise<number | undefined>;
  due(now: number, limit: number): Promise<DisappearingEvent[]>;
  postpone(eventId: string, retryAt: number): Promise<void>;
  remove(eventId: string): Promise<void>;
}

export interface ExpirySchedulerOptions {
  queue: ExpiryQueue;
  /** Removes the event from Matrix; a rejection means "try again later". */
  redact(event: DisappearingEvent): Promise<void>;
  clock: Clock;
  logger: Logger;
}

/** Node's timers overflow past about 24.8 days (they then fire at once); Signal allows 4 weeks. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
const BATCH_SIZE = 50;
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 60 * 60_000;

/** How long to wait before redacting again after `attempts` failures: doubling, at most an hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** Math.min(attempts, 20), RETRY_MAX_MS);
}

/**
 * Redacts disappearing messages when they are due. One timer, armed for the earliest due event
 * and re-armed after every round or change; everything it needs is in the queue, so after a
 * restart `start()` finds overdue events and redacts them at once.
 */
export class ExpiryScheduler {
  private timer: { cancel(): void } | undefined;
  private timerFiresAt: number | undefined;
  private round: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly options: ExpirySchedulerOptions) {}

  start(): Promise<void> {
    this.stopped = false;
    return this.wake();
  }

  /** Stops arming the timer; a redaction in flight finishes, later ones wait for the next start. */
  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  /**
   * Call after scheduling or starting countdowns: re-arms the timer if something is due earlier.
   * Resolves once the timer is armed (callers need not wait; tests do).
   */
  async wake(): Promise<void> {
    if (this.stopped || this.round) return; // a running round re-arms when it ends
    let next: number | undefined;
    try {
      next = await this.options.queue.nextDue();
    } catch (error) {
      this.options.logger.error("could not read the disappearing messages queue", error);
      return;
    }
    // Stopped, or a round began, while the queue was read: that round re-arms when it ends.
    if (this.stopped || this.round) return;
    if (next === undefined) return this.disarm();
    if (this.timer && this.timerFiresAt !== undefined && this.timerFiresAt <= next) return;
    this.disarm();
    const now = this.options.clock.now();
    const delay = Math.min(Math.max(0, next - now), MAX_TIMER_DELAY_MS);
    this.timerFiresAt = now + delay;
    this.timer = this.options.clock.setTimer(() => this.fire(), delay);
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerFiresAt = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerFiresAt = undefined;
    this.round = this.redactDue()
      .catch((error) => this.options.logger.error("redacting disappeared messages failed", error))
      .finally(() => {
        this.round = undefined;
        void this.wake();
      });
  }

  private async redactDue(): Promise<void> {
    const { queue, clock, logger } = this.options;
    for (;;) {
      const batch = await queue.due(clock.now(), BATCH_SIZE);
      if (batch.length === 0) return;
      for (const event of batch) {
        if (this.stopped) return;
        try {
          await this.options.redact(event);
          await queue.remove(event.eventId);
          logger.debug(`redacted disappeared message ${event.eventId} in ${event.roomId}`);
        } catch (error) {
          const delay = retryDelayMs(event.attempts);
          await queue.postpone(event.eventId, clock.now() + delay);
          logger.warn(
            `could not redact disappeared message ${event.eventId} in ${event.roomId} ` +
              `(attempt ${event.attempts + 1}); trying again in ${Math.round(delay / 1000)} s`,
            error,
          );
        }
      }
    }
  }
}
