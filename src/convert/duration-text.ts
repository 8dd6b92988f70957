const UNITS: ReadonlyArray<readonly [seconds: number, singular: string]> = [
  [7 * 24 * 3600, "week"],
  [24 * 3600, "day"],
  [3600, "hour"],
  [60, "minute"],
  [1, "second"],
];

/** A duration in seconds as people say it: "1 week", "2 days 4 hours", "30 seconds". */
export function durationText(totalSeconds: number): string {
  let rest = Math.max(0, Math.round(totalSeconds));
  const parts: string[] = [];
  for (const [size, unit] of UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      parts.push(`${count} ${unit}${count === 1 ? "" : "s"}`);
      rest -= count * size;
    }
  }
  return parts.slice(0, 2).join(" ") || "0 seconds";
}
