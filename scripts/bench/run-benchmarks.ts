// `npm run bench`: prints figures to compare between commits. It measures; it never judges.
// `npm run bench -- --no-e2e` leaves out the end-to-end section (Synapse, mock Signal server and
// the bridge process); `--only <section>[,<section>...]` runs only the sections named.
import { execFileSync } from "node:child_process";
import { statfsSync } from "node:fs";
import { cpus, platform, release, tmpdir } from "node:os";
import { attachmentFigures } from "./attachment-benchmarks.js";
import { parseArgs } from "node:util";
import { conversionFigures } from "./conversion-benchmarks.js";
import { e2eFigures, synapseVersion } from "./e2e/index.js";
import { hostileInputFigures } from "./hostile-input-benchmarks.js";
import type { Figure } from "./measure.js";
import { mockSignalFigures } from "./mock-signal-benchmark.js";
import { storeFigures } from "./store-benchmarks.js";

const TMPFS_MAGIC = 0x01021994;
// Width and alignment of each column: figure, rate, unit, p50, p99, n.
const COLUMNS: Array<{ width: number; left?: boolean }> = [
  { width: 66, left: true },
  { width: 9 },
  { width: 8, left: true },
  { width: 7 },
  { width: 7 },
  { width: 7 },
];

function commitOf(): string {
  try {
    return execFileSync("git", ["describe", "--always", "--dirty"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

function printHeader(withE2e: boolean): void {
  const cpuList = cpus();
  const onTmpfs = statfsSync(tmpdir()).type === TMPFS_MAGIC;
  console.log(`commit   ${commitOf()}`);
  console.log(`node     ${process.version} (${platform()} ${release()})`);
  console.log(`cpu      ${cpuList[0]?.model.trim() ?? "unknown"} x ${cpuList.length}`);
  if (withE2e) console.log(`synapse  ${synapseVersion()} (e2e section)`);
  console.log(
    `database ${tmpdir()}${onTmpfs ? " is a tmpfs: durable writes look faster than on disk (set TMPDIR)" : ""}`,
  );
  console.log("");
}

function formatNumber(value: number | undefined): string {
  if (value === undefined) return "";
  if (value >= 100) return Math.round(value).toLocaleString("en-US");
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function row(cells: string[]): string {
  const padded = COLUMNS.map(({ width, left }, index) => {
    const cell = cells[index] ?? "";
    return left ? cell.padEnd(width) : cell.padStart(width);
  });
  return `| ${padded.join(" | ")} |`;
}

function printFigure(figure: Figure): void {
  console.log(
    row([
      figure.name,
      formatNumber(figure.rate),
      figure.unit,
      formatNumber(figure.p50Ms),
      formatNumber(figure.p99Ms),
      String(figure.count),
    ]),
  );
}

const sections: Record<string, () => Figure[] | Promise<Figure[]>> = {
  conversion: conversionFigures,
  "hostile-input": hostileInputFigures,
  store: storeFigures,
  attachment: attachmentFigures,
  "mock-signal": mockSignalFigures,
  e2e: e2eFigures,
};

function chosenSections(): string[] {
  const { values } = parseArgs({
    options: { only: { type: "string" }, "no-e2e": { type: "boolean", default: false } },
  });
  const names = values.only?.split(",").map((name) => name.trim()) ?? Object.keys(sections);
  const unknown = names.filter((name) => !(name in sections));
  if (unknown.length > 0) {
    console.error(`unknown section ${unknown.join(", ")}; sections: ${Object.keys(sections).join(", ")}`);
    process.exit(2);
  }
  return names.filter((name) => !(values["no-e2e"] && name === "e2e"));
}

const chosen = chosenSections();
printHeader(chosen.includes("e2e"));
console.log(row(["figure", "rate", "unit", "p50 ms", "p99 ms", "n"]));
console.log(row(COLUMNS.map(({ width }) => "-".repeat(width))));
for (const name of chosen) {
  for (const figure of await sections[name]!()) printFigure(figure);
}
