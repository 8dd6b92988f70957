// The one setting every e2e figure shares: Synapse (from the project venv), the mock Signal
// server in this process, the bridge as its own process, Alice (matrix-js-sdk) linked through
// the bot to her phone, her direct portals with contacts, Bob (a plain Matrix user) and a
// reference appservice on the same Synapse. `close()` stops and removes all of it (keeping the
// bridge and Synapse logs in E2E_LOG_DIR when that is set).
import { readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  loginThroughBot,
  startBridgeWithSignal,
} from "../../../test/support/bridge-with-signal.js";
import { introduce } from "../../../test/support/linked-signal-client.js";
import { type MatrixUser, startMatrixUser } from "../../../test/support/matrix-user.js";
import { type MockSignalServer, startMockSignalServer } from "../../../test/support/mock-signal-server.js";
import { parseMetrics, sumOf } from "../../../test/support/prometheus-text.js";
import { freePort } from "../../../test/support/wait.js";
import { type ReferenceAppservice, startReferenceAppservice } from "./reference-appservice.js";

/** Contacts with a direct portal each, for the bursts of several chats at once. */
export const CHAT_COUNT = 8;

export interface E2eWorld {
  mock: MockSignalServer;
  setting: BridgeWithSignal;
  reference: ReferenceAppservice;
  /** Where the bridge serves its metrics. */
  metricsUrl: string;
  /** Contacts of Alice's phone, created before it; linked later by `linkAlice()`. */
  contacts: PrimaryDevice[];
  /** The pid of the Synapse process. */
  synapsePid(): Promise<number>;
  /** The bridge's pid (it must be running). */
  bridgePid(): number;
  /** How many linked accounts the bridge's metrics show connected. */
  connectedLogins(): Promise<number | undefined>;
  /**
   * Links Alice through the bot, introduces her contacts and opens a direct portal with each
   * (the contact's first message); returns the linked device and the portals, in contact order.
   */
  linkAlice(): Promise<{ phone: PrimaryDevice; device: Device; portals: string[] }>;
  /** Bob, a second plain Matrix user (started on first use). */
  bob(): Promise<MatrixUser>;
  /** Whether `close()` was called: nothing may be started any more. */
  readonly closed: boolean;
  /** Stops and removes everything (once; later calls wait for the first). */
  close(): Promise<void>;
}

export async function startE2eWorld(): Promise<E2eWorld> {
  const dir = await mkdtemp(join(tmpdir(), "bench-e2e-"));
  let mock: MockSignalServer | undefined;
  let reference: ReferenceAppservice | undefined;
  let setting: BridgeWithSignal | undefined;
  let bob: MatrixUser | undefined;
  let synapsePid: number | undefined;
  let closing: Promise<void> | undefined;
  // Each part on its own, so that one failing to stop does not leave the others running.
  const closeAll = async () => {
    const steps: Array<() => Promise<unknown> | unknown> = [
      () => keepLogs(setting),
      () => bob?.stop(),
      () => setting?.alice.stop(),
      () => setting?.bridge.cleanup(),
      () => setting?.synapse.stop(),
      () => reference?.close(),
      () => mock?.close(),
      () => rm(dir, { recursive: true, force: true }),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        console.error(`bench e2e: cleaning up failed: ${(error as Error).message}`);
      }
    }
  };
  const close = () => (closing ??= closeAll());
  try {
    mock = await startMockSignalServer();
    const contacts: PrimaryDevice[] = [];
    for (let i = 1; i <= CHAT_COUNT; i++) {
      contacts.push(await mock.server.createPrimaryDevice({ profileName: `Contact ${i}` }));
    }
    reference = await startReferenceAppservice(dir);
    const metricsPort = await freePort();
    setting = await startBridgeWithSignal(
      mock,
      {
        // The sample config's level: debug lines would be a cost of the benchmark, not of the bridge.
        logging: { level: "info" },
        metrics: { enabled: true, listen: `127.0.0.1:${metricsPort}` },
      },
      { extraAppserviceFiles: [reference.registrationFile] },
    );
    await reference.connect(setting.synapse.url);
    const world: E2eWorld = {
      mock,
      setting,
      reference,
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      contacts,
      async synapsePid() {
        // Synapse runs from the config file next to its log (it writes its pid file only as a daemon).
        synapsePid ??= pidWithArgument(join(dirname(setting!.synapse.logFile), "homeserver.yaml"));
        return synapsePid;
      },
      bridgePid() {
        const pid = setting!.bridge.pid;
        if (pid === undefined) throw new Error("the bridge is not running");
        return pid;
      },
      async connectedLogins() {
        const response = await fetch(world.metricsUrl).catch(() => undefined);
        if (!response?.ok) return undefined;
        return sumOf(parseMetrics(await response.text()), "signal_bridge_logins", { state: "connected" });
      },
      async linkAlice() {
        const phone = await mock!.server.createPrimaryDevice({ profileName: "Alice Phone", contacts });
        const device = await loginThroughBot(setting!, mock!, phone);
        await introduce(phone, device);
        const portals: string[] = [];
        for (const [i, contact] of contacts.entries()) {
          await introduce(contact, device);
          const hello = `hello from contact ${i + 1}`;
          await contact.sendText(device, hello, { withProfileKey: true });
          const room = await setting!.alice.acceptNextInvite(`the direct portal with contact ${i + 1}`);
          await setting!.alice.waitForEvent(
            room,
            fromUser(ghostOf(contact), new RegExp(`^${hello}$`)),
            `the first message of contact ${i + 1}`,
          );
          portals.push(room);
        }
        return { phone, device, portals };
      },
      async bob() {
        if (!bob) {
          const credentials = await setting!.synapse.registerUser("bob");
          bob = await startMatrixUser(setting!.synapse.url, credentials);
        }
        return bob;
      },
      get closed() {
        return closing !== undefined;
      },
      close,
    };
    return world;
  } catch (error) {
    await close();
    throw error;
  }
}

/** With E2E_LOG_DIR set (as for the e2e tests), the whole bridge and Synapse logs are kept there. */
async function keepLogs(setting: BridgeWithSignal | undefined): Promise<void> {
  const dir = process.env["E2E_LOG_DIR"];
  if (!dir || !setting) return;
  const base = join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-bench`);
  await mkdir(dir, { recursive: true });
  await writeFile(`${base}-bridge.log`, setting.bridge.output());
  await copyFile(setting.synapse.logFile, `${base}-synapse.log`);
}

/** The process whose command line has `argument` as one of its arguments. */
function pidWithArgument(argument: string): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // gone meanwhile
    }
    if (args.includes(argument)) return Number(entry);
  }
  throw new Error(`no process runs with ${argument}`);
}
