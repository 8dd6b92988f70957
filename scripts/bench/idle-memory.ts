/**
 * Resident memory of the started bridge at rest, no users: a real Synapse, then the bridge
 * started `runs` times (its CLI, as users run it), each measured after it said it started and
 * sat idle for a while (V8 shrinks its heap some seconds into idleness; the series shows it). Prints each run and the median in MiB. Not part of `npm run bench`
 * (it needs the Synapse of the e2e tier): `node dist/scripts/bench/idle-memory.js [runs] [idle s]`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { prepareBridge } from "../../test/support/bridge-process.js";
import { residentKiB } from "../../test/support/process-memory.js";
import { startSynapse } from "../../test/support/synapse.js";
import { freePort } from "../../test/support/wait.js";

const runs = Number(process.argv[2] ?? 5);
const idleSeconds = Number(process.argv[3] ?? 10);
const extraConfig = process.env["IDLE_MEMORY_CONFIG"]
  ? (JSON.parse(process.env["IDLE_MEMORY_CONFIG"]) as Record<string, unknown>)
  : {};

const synapsePort = await freePort();
const bridge = await prepareBridge({
  homeserverUrl: `http://127.0.0.1:${synapsePort}`,
  serverName: "localhost",
  permissions: { localhost: "user" },
  extraConfig: { logging: { level: "info" }, ...extraConfig },
});
const synapse = await startSynapse({ port: synapsePort, appserviceFiles: [bridge.registrationFile] });
const figures: number[] = [];
try {
  for (let run = 0; run < runs; run++) {
    await bridge.start();
    // Sampled every 2 s: the figure is the last one, the series shows whether it had settled.
    const series: number[] = [];
    for (let waited = 0; waited < idleSeconds; waited += 2) {
      await sleep(2000);
      series.push((await residentKiB(bridge.pid!)) / 1024);
    }
    const mib = series.at(-1)!;
    figures.push(mib);
    console.log(
      `run ${run + 1}: ${mib.toFixed(1)} MiB (every 2 s: ${series.map((v) => v.toFixed(0)).join(" ")})`,
    );
    await bridge.stop();
  }
} finally {
  await bridge.cleanup();
  await synapse.stop();
}
const sorted = [...figures].sort((a, b) => a - b);
console.log(`median of ${runs}: ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} MiB`);
