/**
 * Resident memory of the started bridge at rest, no users: a real Synapse, then the bridge
 * started `runs` times (its CLI, as users run it), each measured after it said it started and
 * sat idle for a while (V8 shrinks its heap some seconds into idleness; the series shows it).
 * Prints each run and the medians in MiB. Not part of `npm run bench` (it needs the Synapse of the
 * e2e tier): `node dist/scripts/bench/idle-memory.js [runs] [idle s]`. At the end of each run the
 * bridge (started with --expose-gc and a preloaded signal handler) is also asked for its figures
 * after a full garbage collection: steadier than the resident size, which depends on when V8 got
 * round to shrinking its heap. IDLE_MEMORY_CONFIG (JSON) adds config sections.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { prepareBridge } from "../../test/support/bridge-process.js";
import { residentKiB } from "../../test/support/process-memory.js";
import { startSynapse } from "../../test/support/synapse.js";
import { freePort } from "../../test/support/wait.js";

const runs = Number(process.argv[2] ?? 5);
const idleSeconds = Number(process.argv[3] ?? 60);
const extraConfig = process.env["IDLE_MEMORY_CONFIG"]
  ? (JSON.parse(process.env["IDLE_MEMORY_CONFIG"]) as Record<string, unknown>)
  : {};

// Preloaded into the bridge: on SIGUSR2, a full collection, then its figures into a file.
const report = join(tmpdir(), `idle-memory-${process.pid}.json`);
const preload = join(tmpdir(), `idle-memory-${process.pid}.cjs`);
await writeFile(
  preload,
  `process.on("SIGUSR2", () => { globalThis.gc(); globalThis.gc();\n` +
    `  require("node:fs").writeFileSync(${JSON.stringify(report)}, JSON.stringify(process.memoryUsage())); });\n`,
);
process.env["NODE_OPTIONS"] = `${process.env["NODE_OPTIONS"] ?? ""} --expose-gc --require ${preload}`.trim();

async function afterFullGc(pid: number): Promise<NodeJS.MemoryUsage> {
  await rm(report, { force: true });
  process.kill(pid, "SIGUSR2");
  for (let tries = 0; tries < 50; tries++) {
    await sleep(100);
    const text = await readFile(report, "utf8").catch(() => undefined);
    if (text) return JSON.parse(text) as NodeJS.MemoryUsage;
  }
  throw new Error("the bridge did not report its memory after a collection");
}

const mebibytes = (bytes: number) => bytes / 1024 / 1024;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const synapsePort = await freePort();
const bridge = await prepareBridge({
  homeserverUrl: `http://127.0.0.1:${synapsePort}`,
  serverName: "localhost",
  permissions: { localhost: "user" },
  extraConfig: { logging: { level: "info" }, ...extraConfig },
});
const synapse = await startSynapse({ port: synapsePort, appserviceFiles: [bridge.registrationFile] });
const idle: number[] = [];
const collectedRss: number[] = [];
const collectedHeap: number[] = [];
try {
  for (let run = 0; run < runs; run++) {
    await bridge.start();
    // Sampled every 2 s: the figure is the last one, the series shows whether it had settled.
    const series: number[] = [];
    for (let waited = 0; waited < idleSeconds; waited += 2) {
      await sleep(2000);
      series.push((await residentKiB(bridge.pid!)) / 1024);
    }
    const collected = await afterFullGc(bridge.pid!);
    idle.push(series.at(-1)!);
    collectedRss.push(mebibytes(collected.rss));
    collectedHeap.push(mebibytes(collected.heapUsed));
    console.log(
      `run ${run + 1}: ${idle.at(-1)!.toFixed(1)} MiB (every 2 s: ${series.map((v) => v.toFixed(0)).join(" ")}); ` +
        `after a full GC: RSS ${collectedRss.at(-1)!.toFixed(1)} MiB, heap used ${collectedHeap.at(-1)!.toFixed(1)} MiB`,
    );
    await bridge.stop();
  }
} finally {
  await bridge.cleanup();
  await synapse.stop();
  await rm(preload, { force: true });
}
console.log(
  `median of ${runs}: ${median(idle).toFixed(1)} MiB idle; after a full GC: RSS ` +
    `${median(collectedRss).toFixed(1)} MiB, heap used ${median(collectedHeap).toFixed(1)} MiB`,
);
