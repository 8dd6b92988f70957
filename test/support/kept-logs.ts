/**
 * Runs a test body with the bridge's log end in its failure message (withBridgeLog); when
 * E2E_LOG_DIR is set, a failure also keeps the whole bridge and Synapse logs there, since fault
 * scenarios often go wrong long before the last lines.
 */
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withBridgeLog } from "./bridge-process.js";
import type { BridgeWithSignal } from "./bridge-with-signal.js";

export async function withKeptLogs(
  setting: BridgeWithSignal,
  name: string,
  body: () => Promise<void>,
): Promise<void> {
  try {
    await withBridgeLog(setting.bridge, body);
  } catch (error) {
    const dir = process.env["E2E_LOG_DIR"];
    if (dir) {
      const base = join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${name}`);
      await mkdir(dir, { recursive: true });
      await writeFile(`${base}-bridge.log`, setting.bridge.output());
      await copyFile(setting.synapse.logFile, `${base}-synapse.log`).catch(() => undefined);
    }
    throw error;
  }
}
