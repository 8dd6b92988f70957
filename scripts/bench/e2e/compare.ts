// A figure, the reference measured in the same run, and their ratio: three rows of the table.
import type { Figure } from "../measure.js";

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;

/**
 * `figure`, then for each reference its row (the name indented under "vs") and the ratio
 * (figure / reference, for the rate and each latency the two have).
 */
export function withReference(figure: Figure, ...references: Figure[]): Figure[] {
  const rows = [figure];
  for (const reference of references) {
    const p50 = ratio(figure.p50Ms, reference.p50Ms);
    const p99 = ratio(figure.p99Ms, reference.p99Ms);
    rows.push({ ...reference, name: `  vs ${reference.name}` });
    rows.push({
      name: "  ratio (figure / reference)",
      unit: "x",
      rate: ratio(figure.rate, reference.rate) ?? NaN,
      count: figure.count,
      ...(p50 === undefined ? {} : { p50Ms: p50 }),
      ...(p99 === undefined ? {} : { p99Ms: p99 }),
    });
  }
  return rows;
}

/** Nearest-rank p50 and p99 of `samples` (milliseconds). */
export function percentiles(samples: readonly number[]): { p50Ms: number; p99Ms: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
