// Where the bridge's time goes on a Signal -> Matrix burst, for working on the e2e figures (not
// part of `npm run bench`): the e2e world, Alice linked, then one contact's burst of
// `[messages]` texts (default 300) twice. For each burst it prints the bridge's CPU per message
// by thread (user and system) and its requests per message (from its metrics endpoint).
//
//   node dist/scripts/bench/e2e/burst-breakdown.js [messages]
//
// With E2E_BRIDGE_NODE_ARGS="--cpu-prof --cpu-prof-dir=<dir>" the bridge is stopped by SIGTERM at
// the end, so its CPU profile gets written (the world's cleanup kills it, which writes none).
import { parseMetrics } from "../../../test/support/prometheus-text.js";
import { quietConsole } from "./index.js";
import { threadCpuMs } from "./process-stats.js";
import { burstFromSignal } from "./signal-burst.js";
import { startE2eWorld } from "./world.js";

const messages = Number(process.argv[2] ?? 300);
// matrix-js-sdk's sync lines go to console.log: dropped, so the figures go to stdout directly.
quietConsole();
const print = (line: string) => process.stdout.write(`${line}\n`);
const requestMetrics = /^signal_bridge_(matrix|signal)_requests_total$/;

async function requestCounts(metricsUrl: string): Promise<Map<string, number>> {
  const samples = parseMetrics(await (await fetch(metricsUrl)).text());
  return new Map(
    samples
      .filter((sample) => requestMetrics.test(sample.name))
      .map((sample) => [`${sample.name} ${JSON.stringify(sample.labels)}`, sample.value]),
  );
}

function perMessage(value: number, count: number): string {
  return (value / count).toFixed(2);
}

const world = await startE2eWorld();
try {
  const { device, portals } = await world.linkAlice();
  const chat = { contact: world.contacts[0]!, portal: portals[0]! };
  for (const round of [1, 2]) {
    const pid = world.bridgePid();
    const requestsBefore = await requestCounts(world.metricsUrl);
    const threadsBefore = threadCpuMs(pid);
    const burst = await burstFromSignal(world, device, [chat], messages, `breakdown round ${round}`);
    const threadsAfter = threadCpuMs(pid);
    const requestsAfter = await requestCounts(world.metricsUrl);
    const n = burst.arrived;
    print(
      `round ${round}: ${n} of ${burst.sent} arrived in ${burst.seconds.toFixed(1)} s; ` +
        `bridge ${perMessage(burst.senderCpuMs, n)} ms CPU/msg, Synapse ${perMessage(burst.synapseCpuMs, n)}`,
    );
    for (const [name, after] of threadsAfter) {
      const before = threadsBefore.get(name) ?? { user: 0, system: 0 };
      const user = after.user - before.user;
      const system = after.system - before.system;
      if (user + system > 0) {
        print(`  thread ${name}: user ${perMessage(user, n)}, system ${perMessage(system, n)} ms/msg`);
      }
    }
    for (const [metric, after] of requestsAfter) {
      const made = after - (requestsBefore.get(metric) ?? 0);
      if (made > 0) print(`  ${metric}: ${perMessage(made, n)} per msg`);
    }
  }
  await world.setting.bridge.stop("SIGTERM");
} finally {
  await world.close();
}
