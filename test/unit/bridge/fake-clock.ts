import type { Clock } from "../../../src/bridge/expiry-scheduler.js";
import type { Logger } from "../../../src/logger.js";

interface FakeTimer {
  at: number;
  delay: number;
  callback: () => void;
  done: boolean;
}

/** A clock whose time moves only when the test says; timers fire as time passes them. */
export class FakeClock implements Clock {
  private readonly timers: FakeTimer[] = [];

  constructor(public time = 1_700_000_000_000) {}

  now(): number {
    return this.time;
  }

  setTimer(callback: () => void, delay: number) {
    const timer = { at: this.time + delay, delay, callback, done: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.done = true) };
  }

  /** Delays of the timers still pending. */
  pendingDelays(): number[] {
    return this.timers.filter((t) => !t.done).map((t) => t.delay);
  }

  /** Moves time forward by `ms`, firing each timer at its time and letting its work finish. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      const next = this.timers.filter((t) => !t.done && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.time = next.at;
      next.done = true;
      next.callback();
      await settle();
    }
    this.time = end;
    await settle();
  }
}

/** Lets promise chains that wait on nothing but each other run to the end. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A logger that keeps its lines for assertions. */
export function recordingLogger(lines: string[] = []): Logger & { lines: string[] } {
  const record =
    (level: string) =>
    (message: string): void =>
      void lines.push(`${level} ${message}`);
  const logger = {
    lines,
    debug: record("debug"),
    info: record("info"),
    warn: record("warn"),
    error: record("error"),
    child: () => logger,
    with: () => logger,
  };
  return logger;
}
