/**
 * Resident memory of the bridge at rest with one linked user: Synapse, the mock Signal server,
 * Alice linked through the bot to a phone with one contact, then the bridge left idle. Prints the
 * resident size every 2 s and the figure at the end in MiB (one run: the setting is heavy).
 * `node dist/scripts/bench/idle-memory-linked.js [idle s]` (needs the e2e tier's Synapse).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { loginThroughBot, startBridgeWithSignal } from "../../test/support/bridge-with-signal.js";
import { startMockSignalServer } from "../../test/support/mock-signal-server.js";
import { residentKiB } from "../../test/support/process-memory.js";

const idleSeconds = Number(process.argv[2] ?? 60);
const mock = await startMockSignalServer();
try {
  const friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  const phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  const setting = await startBridgeWithSignal(mock, { logging: { level: "info" } });
  try {
    await loginThroughBot(setting, mock, phone);
    // Alice's client stops syncing, so only the bridge's own work is left.
    setting.alice.stop();
    const series: number[] = [];
    for (let waited = 0; waited < idleSeconds; waited += 2) {
      await sleep(2000);
      series.push((await residentKiB(setting.bridge.pid!)) / 1024);
    }
    console.log(
      `one linked user, idle ${idleSeconds} s: ${series.at(-1)!.toFixed(1)} MiB ` +
        `(every 2 s: ${series.map((v) => v.toFixed(0)).join(" ")})`,
    );
  } finally {
    await setting.stop();
  }
} finally {
  await mock.close();
}
