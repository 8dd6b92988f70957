// The end-to-end section of `npm run bench`: Synapse, the mock Signal server and the bridge as
// its own process, each figure next to a reference measured in the same run. Everything it
// starts is stopped and removed when it ends, fails or is interrupted.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "../../../test/support/wait.js";
import type { Figure } from "../measure.js";
import { measureLibsignalCost } from "./libsignal-cost.js";
import { idleRss, linkedUsersFigures } from "./linked-users.js";
import { matrixToSignal } from "./matrix-to-signal.js";
import { signalToMatrixChats } from "./signal-to-matrix-chats.js";
import { signalToMatrixOneChat } from "./signal-to-matrix-one-chat.js";
import { startE2eWorld } from "./world.js";

const LINKED_USER_COUNTS = [50, 500];

/** The Synapse version the e2e figures are measured with, for the header. */
export function synapseVersion(): string {
  try {
    const python = join(projectRoot, ".cache/synapse-venv/bin/python");
    const script = "import synapse; print(synapse.__version__)";
    return execFileSync(python, ["-c", script], { encoding: "utf8" }).trim();
  } catch {
    return "not installed yet (the e2e section installs it into .cache/synapse-venv)";
  }
}

const progress = (text: string) => console.error(`bench e2e: ${text}`);

/**
 * matrix-js-sdk logs its sync steps at debug level through console.log/info/debug, looked up at
 * each call: those would end up in the middle of the table. They are dropped while the section
 * runs (its warnings and errors still go to stderr).
 */
export function quietConsole(): () => void {
  const saved = { log: console.log, info: console.info, debug: console.debug, trace: console.trace };
  const drop = () => {};
  Object.assign(console, { log: drop, info: drop, debug: drop, trace: drop });
  return () => Object.assign(console, saved);
}

export async function e2eFigures(): Promise<Figure[]> {
  const restoreConsole = quietConsole();
  try {
    return await measureAll();
  } finally {
    restoreConsole();
  }
}

async function measureAll(): Promise<Figure[]> {
  progress("libsignal's own cost per message (in-process)");
  const libsignal = await measureLibsignalCost();
  progress("starting the mock Signal server, Synapse and the bridge");
  const world = await startE2eWorld();
  const interrupted = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping what the benchmark started`);
    void world.close().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  const figures: Figure[] = [];
  const step = async (what: string, body: () => Promise<void>): Promise<boolean> => {
    if (world.closed) return false;
    progress(what);
    try {
      await body();
      return true;
    } catch (error) {
      // Figures measured so far are still printed; the failure goes to stderr.
      if (!world.closed) progress(`${what} failed: ${(error as Error).stack ?? String(error)}`);
      return false;
    }
  };
  try {
    await step("memory with no linked user", async () => {
      figures.push(await idleRss(world, "0 linked users"));
    });
    let alice: Awaited<ReturnType<typeof world.linkAlice>> | undefined;
    await step("linking Alice through the bot and opening her portals", async () => {
      alice = await world.linkAlice();
      figures.push(await idleRss(world, `1 linked user (${alice.portals.length} portals)`));
    });
    if (alice) {
      const { device, portals } = alice;
      const chats = world.contacts.map((contact, i) => ({ contact, portal: portals[i]! }));
      let appserviceSend = { synapseCpuMs: NaN, count: 0 };
      await step("Signal -> Matrix, one chat", async () => {
        const result = await signalToMatrixOneChat(world, { device, ...chats[0]! }, libsignal);
        appserviceSend = result.appserviceSend;
        figures.push(...result.figures);
      });
      await step(`Signal -> Matrix, ${chats.length} chats`, async () => {
        figures.push(...(await signalToMatrixChats(world, device, chats, libsignal)));
      });
      await step("Matrix -> Signal, one at a time", async () => {
        figures.push(...(await matrixToSignal(world, chats[0]!, libsignal, appserviceSend)));
      });
    }
    await step(`linked users: ${LINKED_USER_COUNTS.join(", ")}`, async () => {
      await linkedUsersFigures(world, LINKED_USER_COUNTS, (figure) => figures.push(figure));
    });
  } finally {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    progress("stopping everything");
    await world.close();
  }
  return figures;
}
