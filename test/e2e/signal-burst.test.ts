/**
 * Signal -> Matrix bursts in two chats at once: two contacts' messages reach the bridge
 * interleaved, and each portal shows its own contact's burst complete and in the order sent
 * (chats are bridged side by side, each strictly in order), also when they wait out a homeserver
 * that is away and the bridge is killed meanwhile (they are bridged after the restart). The bridge's CPU time per message
 * is reported as a diagnostic (never asserted; see docs/development.md, Benchmarks).
 *
 * SIGNAL_BURST=<n> sets the messages per contact (default 60); E2E_BRIDGE_NODE_ARGS passes Node
 * options to the bridge process (e.g. `--cpu-prof --cpu-prof-dir=<dir>`: the profile is written
 * when the bridge stops, which this test does with SIGTERM at its end); E2E_BRIDGE_LOG_LEVEL sets
 * the bridge's log level (the tests' default is debug, which costs CPU time of its own).
 */
import { readdir, readFile, readlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  loginThroughBot,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { introduce } from "../support/linked-signal-client.js";
import { assertExactlyOnceInOrder, Findings, numbered } from "../support/message-burst.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { bodiesFrom, roomHistory } from "../support/room-history.js";
import { withTimeout } from "../support/wait.js";

const PER_CONTACT = Number(process.env["SIGNAL_BURST"] ?? 60);

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let device: Device;
let friend: PrimaryDevice;
let other: PrimaryDevice;
let friendRoom: string;
let otherRoom: string;

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  other = await mock.server.createPrimaryDevice({ profileName: "Other Contact" });
  const phone = await mock.server.createPrimaryDevice({
    profileName: "Alice Phone",
    contacts: [friend, other],
  });
  const level = process.env["E2E_BRIDGE_LOG_LEVEL"];
  setting = await startBridgeWithSignal(mock, level ? { logging: { level } } : {});
  device = await loginThroughBot(setting, mock, phone);
  for (const [contact, name] of [
    [friend, "Friend"],
    [other, "Other"],
  ] as const) {
    await introduce(contact, device);
    await contact.sendText(device, `Hello from ${name}`, { withProfileKey: true });
    const room = await setting.alice.acceptNextInvite(`the direct portal with ${name}`);
    await setting.alice.waitForEvent(
      room,
      fromUser(ghostOf(contact), new RegExp(`^Hello from ${name}$`)),
      `${name}'s first message`,
    );
    if (contact === friend) friendRoom = room;
    else otherRoom = room;
  }
});

after(async () => {
  // SIGTERM first: a CPU profile asked for with E2E_BRIDGE_NODE_ARGS is written on a clean exit.
  await setting?.bridge.stop();
  await setting?.stop();
  await mock?.close();
});

/** User plus system CPU time of process `pid` so far, in ms (/proc/<pid>/stat, 100 ticks a second). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The process whose working directory is `dir` (Synapse runs in its own), if any. */
async function processIn(dir: string): Promise<number | undefined> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cwd = await readlink(join("/proc", entry, "cwd")).catch(() => undefined);
    if (cwd === dir) return Number(entry);
  }
  return undefined;
}

test("bursts of two contacts arriving interleaved: each portal shows its contact's burst once, in order", async (t) => {
  const { alice, bridge } = setting!;
  const fromFriend = numbered("friend burst", PER_CONTACT);
  const fromOther = numbered("other burst", PER_CONTACT);
  const base = Date.now();
  // Encrypted before the clock starts: the contacts' work is not the bridge's.
  const envelopes = [];
  for (let i = 0; i < PER_CONTACT; i++) {
    envelopes.push(await friend.encryptText(device, fromFriend[i]!, { timestamp: base + i }));
    envelopes.push(await other.encryptText(device, fromOther[i]!, { timestamp: base + i }));
  }
  const pid = bridge.pid!;
  // Synapse's share, for comparison.
  const synapsePid = await processIn(dirname(setting!.synapse.logFile));
  const synapseBefore = synapsePid ? await cpuMs(synapsePid).catch(() => undefined) : undefined;
  const cpuBefore = await cpuMs(pid);
  const startedAt = Date.now();
  await withTimeout(
    Promise.all(envelopes.map((envelope) => mock.server.send(device, envelope))),
    120_000,
    "the mock to deliver both bursts to the bridge",
  );
  const lastOf = (bodies: string[]) => new RegExp(`^${bodies.at(-1)!}$`);
  await Promise.all([
    alice.waitForEvent(friendRoom, fromUser(ghostOf(friend), lastOf(fromFriend)), "Friend's last", 300_000),
    alice.waitForEvent(otherRoom, fromUser(ghostOf(other), lastOf(fromOther)), "Other's last", 300_000),
  ]);
  const elapsedMs = Date.now() - startedAt;
  const cpu = (await cpuMs(pid)) - cpuBefore;
  const synapseCpu =
    synapsePid && synapseBefore !== undefined
      ? ((await cpuMs(synapsePid).catch(() => undefined)) ?? undefined)
      : undefined;
  const messages = 2 * PER_CONTACT;
  t.diagnostic(
    `${messages} messages in ${elapsedMs} ms (${((messages * 1000) / elapsedMs).toFixed(1)}/s); bridge CPU ${cpu} ms, ${(cpu / messages).toFixed(2)} ms per message` +
      (synapseCpu !== undefined && synapseBefore !== undefined
        ? `; Synapse CPU ${synapseCpu - synapseBefore} ms, ${((synapseCpu - synapseBefore) / messages).toFixed(2)} ms per message`
        : ""),
  );

  const findings = new Findings();
  for (const [room, contact, bodies, what] of [
    [friendRoom, friend, fromFriend, "Friend's portal"],
    [otherRoom, other, fromOther, "Other's portal"],
  ] as const) {
    const shown = bodiesFrom(await roomHistory(alice, room), ghostOf(contact)).filter((body) =>
      body.includes(" burst "),
    );
    await findings.check(what, () => assertExactlyOnceInOrder(bodies, shown, what));
  }
  findings.assertNone();
});

test("bursts of two contacts held while the homeserver is away, then the bridge killed: after restarting, each portal shows its burst once, in order", async () => {
  const { alice, bridge, synapse } = setting!;
  const fromFriend = numbered("friend held", 20);
  const fromOther = numbered("other held", 20);
  await synapse.stop({ keep: true });
  try {
    const base = Date.now();
    const deliveries: Promise<void>[] = [];
    for (let i = 0; i < fromFriend.length; i++) {
      const friendEnvelope = await friend.encryptText(device, fromFriend[i]!, { timestamp: base + i });
      deliveries.push(mock.server.send(device, friendEnvelope));
      const otherEnvelope = await other.encryptText(device, fromOther[i]!, { timestamp: base + i });
      deliveries.push(mock.server.send(device, otherEnvelope));
    }
    // Acknowledged: buffered by the bridge, their lanes waiting for the homeserver.
    await withTimeout(Promise.all(deliveries), 120_000, "the mock to deliver both bursts to the bridge");
    await bridge.stop("SIGKILL");
  } finally {
    await synapse.start();
  }
  await bridge.start();
  const lastOf = (bodies: string[]) => new RegExp(`^${bodies.at(-1)!}$`);
  await Promise.all([
    alice.waitForEvent(friendRoom, fromUser(ghostOf(friend), lastOf(fromFriend)), "Friend's last", 180_000),
    alice.waitForEvent(otherRoom, fromUser(ghostOf(other), lastOf(fromOther)), "Other's last", 180_000),
  ]);
  const findings = new Findings();
  for (const [room, contact, bodies, what] of [
    [friendRoom, friend, fromFriend, "Friend's portal"],
    [otherRoom, other, fromOther, "Other's portal"],
  ] as const) {
    const shown = bodiesFrom(await roomHistory(alice, room), ghostOf(contact)).filter((body) =>
      body.includes(" held "),
    );
    await findings.check(what, () => assertExactlyOnceInOrder(bodies, shown, what));
  }
  findings.assertNone();
});
