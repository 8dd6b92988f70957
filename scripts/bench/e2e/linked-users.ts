// e.: the bridge's memory when idle with 0, 1, 50 and 500 linked users, and the time from the
// bridge's start until all of them are connected to Signal. The many users are linked straight
// into the bridge's database while it is stopped (linked-accounts-store.ts): linking hundreds
// through the bot and QR codes would take most of the run.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { PrimaryDevice } from "@signalapp/mock-server";
import { residentKiB } from "../../../test/support/process-memory.js";
import { waitFor } from "../../../test/support/wait.js";
import type { Figure } from "../measure.js";
import { sleep } from "./compare.js";
import { writeLinkedAccounts } from "./linked-accounts-store.js";
import type { E2eWorld } from "./world.js";

/** How long the bridge is left alone before its memory is read. */
const IDLE_SETTLE_MS = 5_000;
/** Linking stops (keeping what it linked) after this long; the figures then name the count. */
const LINKING_BUDGET_MS = 10 * 60_000;
const CONNECT_TIMEOUT_MS = 10 * 60_000;

/** The bridge's resident memory after it was idle for a while. */
export async function idleRss(world: E2eWorld, what: string): Promise<Figure> {
  await sleep(IDLE_SETTLE_MS);
  const kib = await residentKiB(world.bridgePid());
  return { name: `bridge RSS idle, ${what}`, unit: "MiB", rate: kib / 1024, count: 1 };
}

/**
 * For each of `userCounts` (ascending): stops the bridge, adds linked accounts to its database
 * up to that many (a fresh database at first: Alice's login is dropped), starts it and times
 * until its metrics show all of them connected, then reads its idle memory. Each figure is
 * handed to `emit` once measured.
 */
export async function linkedUsersFigures(
  world: E2eWorld,
  userCounts: number[],
  emit: (figure: Figure) => void,
): Promise<void> {
  const { bridge } = world.setting;
  const databasePath = join(bridge.dir, "bridge.db");
  const keyFilePath = join(bridge.dir, "bridge.key");
  await bridge.stop();
  for (const file of [databasePath, `${databasePath}-wal`, `${databasePath}-shm`, keyFilePath]) {
    await rm(file, { force: true });
  }
  const deadline = Date.now() + LINKING_BUDGET_MS;
  const phones: PrimaryDevice[] = [];
  let linked = 0;
  for (const wanted of userCounts) {
    const accounts: Array<{ userId: string; phone: PrimaryDevice }> = [];
    while (phones.length < wanted && Date.now() < deadline) {
      const n = phones.length + 1;
      const phone = await world.mock.server.createPrimaryDevice({ profileName: `Bench Phone ${n}` });
      phones.push(phone);
      accounts.push({ userId: `@benchuser${n}:localhost`, phone });
    }
    if (world.closed) throw new Error("the benchmark is stopping");
    const linkStart = performance.now();
    linked += await writeLinkedAccounts({
      mock: world.mock,
      databasePath,
      keyFilePath,
      accounts,
      deadline,
      stopped: () => world.closed,
    });
    const linkSeconds = (performance.now() - linkStart) / 1000;
    const label = linked === wanted ? `${linked}` : `${linked} (of ${wanted} wanted: linking budget spent)`;
    emit({
      name: `  (setup: ${accounts.length} accounts linked into the database)`,
      unit: "s",
      rate: linkSeconds,
      count: accounts.length,
    });

    if (world.closed) throw new Error("the benchmark is stopping");
    const start = performance.now();
    await bridge.start({ waitForStarted: false });
    let connected: number | undefined;
    await waitFor(async () => (connected = await world.connectedLogins()) === linked, {
      timeoutMs: CONNECT_TIMEOUT_MS,
      intervalMs: 100,
      what: () => `the bridge's metrics to show ${linked} logins connected (last: ${connected})`,
    });
    const seconds = (performance.now() - start) / 1000;
    emit({
      name: `bridge start -> ${label} linked users connected`,
      unit: "s",
      rate: seconds,
      count: linked,
    });
    emit(await idleRss(world, `${label} linked users`));
    if (userCounts.indexOf(wanted) < userCounts.length - 1) await bridge.stop();
    if (linked < wanted) break;
  }
}
