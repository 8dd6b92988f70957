// Timing helpers for the benchmarks. They only measure and report; nothing here judges a figure.
import { performance } from "node:perf_hooks";

/** One row of the benchmark table. */
export interface Figure {
  name: string;
  /** Operations (or MiB) per second over the measured run. */
  rate: number;
  /** What `rate` counts, e.g. "msg/s", "ops/s", "MiB/s". */
  unit: string;
  /** How many operations were measured (after the warm-up). */
  count: number;
  /** Latency of one operation in milliseconds, when single operations were timed. */
  p50Ms?: number;
  p99Ms?: number;
}

export interface DurationRun {
  /** How long to run the operation untimed first, so that V8 has optimised it and caches are warm. */
  warmupMs: number;
  /** How long to measure. */
  durationMs: number;
}

// Fast operations are timed in batches: reading the clock around a call of a few microseconds
// would add noise of the same size as what is measured.
const BATCH = 64;

/**
 * Calls a fast synchronous `operation(i)` repeatedly and returns calls per second. `operation`
 * returns a number that is summed, so the work cannot be optimised away.
 */
export function measureThroughput(
  name: string,
  unit: string,
  operation: (i: number) => number,
  run: DurationRun,
): Figure {
  let sink = 0;
  const loop = (ms: number): { count: number; elapsedMs: number } => {
    let count = 0;
    const start = performance.now();
    let elapsedMs = 0;
    while (elapsedMs < ms) {
      for (let i = 0; i < BATCH; i++) sink += operation(count + i);
      count += BATCH;
      elapsedMs = performance.now() - start;
    }
    return { count, elapsedMs };
  };
  loop(run.warmupMs);
  const { count, elapsedMs } = loop(run.durationMs);
  if (Number.isNaN(sink)) throw new Error(`${name}: the operation returned NaN`);
  return { name, unit, count, rate: count / (elapsedMs / 1000) };
}

/**
 * Like measureThroughput for an asynchronous `operation(i)`, awaited one call at a time (the
 * conversions: their lookups are asynchronous, their work is not).
 */
export async function measureAsyncThroughput(
  name: string,
  unit: string,
  operation: (i: number) => Promise<number>,
  run: DurationRun,
): Promise<Figure> {
  let sink = 0;
  const loop = async (ms: number): Promise<{ count: number; elapsedMs: number }> => {
    let count = 0;
    const start = performance.now();
    let elapsedMs = 0;
    while (elapsedMs < ms) {
      for (let i = 0; i < BATCH; i++) sink += await operation(count + i);
      count += BATCH;
      elapsedMs = performance.now() - start;
    }
    return { count, elapsedMs };
  };
  await loop(run.warmupMs);
  const { count, elapsedMs } = await loop(run.durationMs);
  if (Number.isNaN(sink)) throw new Error(`${name}: the operation returned NaN`);
  return { name, unit, count, rate: count / (elapsedMs / 1000) };
}

/**
 * Awaits `operation(i)` one call at a time: `warmupOps` calls untimed, then calls for
 * `durationMs` (but at most `maxOps`), each timed. Returns calls per second and the p50/p99
 * latency of one call.
 */
export async function measureLatency(
  name: string,
  unit: string,
  operation: (i: number) => unknown,
  run: { warmupOps: number; durationMs: number; maxOps?: number },
): Promise<Figure> {
  for (let i = 0; i < run.warmupOps; i++) await operation(i);
  const samples: number[] = [];
  const start = performance.now();
  let elapsedMs = 0;
  while (elapsedMs < run.durationMs && samples.length < (run.maxOps ?? Infinity)) {
    const before = performance.now();
    await operation(run.warmupOps + samples.length);
    const after = performance.now();
    samples.push(after - before);
    elapsedMs = after - start;
  }
  return {
    name,
    unit,
    count: samples.length,
    rate: samples.length / (elapsedMs / 1000),
    ...percentiles(samples),
  };
}

/**
 * Awaits `operation()`, which handles `mebibytes` MiB, `warmups` times untimed and then
 * `iterations` times timed. Returns MiB per second over the timed runs and the p50/p99 time of one run.
 */
export async function measureBandwidth(
  name: string,
  mebibytes: number,
  operation: () => Promise<unknown>,
  run: { warmups: number; iterations: number },
): Promise<Figure> {
  for (let i = 0; i < run.warmups; i++) await operation();
  const samples: number[] = [];
  for (let i = 0; i < run.iterations; i++) {
    const before = performance.now();
    await operation();
    samples.push(performance.now() - before);
  }
  const totalMs = samples.reduce((sum, ms) => sum + ms, 0);
  return {
    name,
    unit: "MiB/s",
    count: samples.length,
    rate: (mebibytes * samples.length) / (totalMs / 1000),
    ...percentiles(samples),
  };
}

/** Nearest-rank percentiles. */
function percentiles(samples: number[]): { p50Ms: number; p99Ms: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}
