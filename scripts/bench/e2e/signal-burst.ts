// Bursts into Matrix rooms, timed until Alice's client has seen the last message of each room:
// from Signal contacts through the bridge, and from the reference appservice straight to Synapse.
import { performance } from "node:perf_hooks";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { ghostOf } from "../../../test/support/bridge-with-signal.js";
import { numbered } from "../../../test/support/message-burst.js";
import { roomHistory } from "../../../test/support/room-history.js";
import { withTimeout } from "../../../test/support/wait.js";
import type { Figure } from "../measure.js";
import { percentiles, withReference } from "./compare.js";
import type { LibsignalCost } from "./libsignal-cost.js";
import { cpuMeter } from "./process-stats.js";
import { accessLogFrom } from "./synapse-access-log.js";
import type { E2eWorld } from "./world.js";

const ARRIVAL_TIMEOUT_MS = 600_000;

export interface BurstResult {
  /** Messages that arrived (distinct bodies of the burst in the rooms' histories). */
  arrived: number;
  sent: number;
  seconds: number;
  /** CPU milliseconds of the sending process over the burst: the bridge, or the reference appservice. */
  senderCpuMs: number;
  synapseCpuMs: number;
  /** Synapse's time for each of the burst's send requests, from its access log (ms). */
  synapseSendMs: number[];
}

/** Distinct bodies starting with `prefix` in `roomId`'s history, as Alice can read it. */
async function arrivedIn(world: E2eWorld, roomId: string, prefix: string): Promise<number> {
  const history = await roomHistory(world.setting.alice, roomId);
  const bodies = history
    .filter((event) => event.type === "m.room.message")
    .map((event) => String(event.content["body"] ?? ""))
    .filter((body) => body.startsWith(prefix));
  return new Set(bodies).size;
}

/** Resolves when Alice's client shows `body` in `roomId`. */
const seen = (world: E2eWorld, roomId: string, body: string) =>
  world.setting.alice.waitForEvent(
    roomId,
    (event) => event.getContent()["body"] === body,
    `"${body}" to be seen in ${roomId}`,
    ARRIVAL_TIMEOUT_MS,
  );

/**
 * Each contact sends `perChat` texts to the bridge's device, all handed to the mock server at
 * once (encrypted beforehand, each with its own timestamp); timed until Alice has seen the last
 * text of every contact's portal.
 */
export async function burstFromSignal(
  world: E2eWorld,
  device: Device,
  chats: Array<{ contact: PrimaryDevice; portal: string }>,
  perChat: number,
  prefix: string,
): Promise<BurstResult> {
  const sentAt = Date.now();
  const plans = [];
  for (const [c, { contact, portal }] of chats.entries()) {
    const bodies = numbered(`${prefix} chat ${c + 1}`, perChat);
    const envelopes = [];
    for (const [i, body] of bodies.entries()) {
      envelopes.push(await contact.encryptText(device, body, { timestamp: sentAt + i }));
    }
    plans.push({ portal, bodies, envelopes });
  }
  const senderCpu = cpuMeter(world.bridgePid());
  const synapseCpu = cpuMeter(await world.synapsePid());
  const accessLog = accessLogFrom(world.setting.synapse.logFile);
  const start = performance.now();
  const waits = plans.map(({ portal, bodies }) => seen(world, portal, bodies.at(-1)!));
  const deliveries: Array<Promise<void>> = [];
  // Interleaved, as messages of several chats reach a device.
  for (let i = 0; i < perChat; i++) {
    for (const plan of plans) deliveries.push(world.mock.server.send(device, plan.envelopes[i]!));
  }
  const delivered = Promise.all(deliveries);
  // Awaited below, unless a wait fails first: then a failed delivery must not end the process.
  delivered.catch(() => undefined);
  await Promise.all(waits);
  const seconds = (performance.now() - start) / 1000;
  const senderCpuMs = senderCpu.stop();
  const synapseCpuMs = synapseCpu.stop();
  await withTimeout(delivered, 60_000, "the mock server to finish its deliveries");
  let arrived = 0;
  for (const [c, { portal }] of plans.entries())
    arrived += await arrivedIn(world, portal, `${prefix} chat ${c + 1} `);
  // The bridge sends as each contact's ghost.
  const ghosts = new Set(chats.map(({ contact }) => ghostOf(contact)));
  const synapseSendMs = accessLog.sendTimes((userId) => ghosts.has(userId));
  return { arrived, sent: perChat * chats.length, seconds, senderCpuMs, synapseCpuMs, synapseSendMs };
}

/**
 * The reference appservice sends `perRoom` texts into each room, one at a time per room (each
 * once Synapse accepted the one before) and the rooms at once; timed until Alice has seen the
 * last text of every room.
 */
async function burstFromAppservice(
  world: E2eWorld,
  rooms: string[],
  perRoom: number,
  prefix: string,
): Promise<BurstResult> {
  const plans = rooms.map((room, r) => ({ room, bodies: numbered(`${prefix} room ${r + 1}`, perRoom) }));
  const senderCpu = cpuMeter(world.reference.pid);
  const synapseCpu = cpuMeter(await world.synapsePid());
  const accessLog = accessLogFrom(world.setting.synapse.logFile);
  const start = performance.now();
  const waits = plans.map(({ room, bodies }) => seen(world, room, bodies.at(-1)!));
  const senders = plans.map(({ room, bodies }) => world.reference.sendTexts(room, bodies));
  await Promise.all([...senders, ...waits]);
  const seconds = (performance.now() - start) / 1000;
  const senderCpuMs = senderCpu.stop();
  const synapseCpuMs = synapseCpu.stop();
  let arrived = 0;
  for (const [r, { room }] of plans.entries())
    arrived += await arrivedIn(world, room, `${prefix} room ${r + 1} `);
  const synapseSendMs = accessLog.sendTimes((userId) => userId === world.reference.userId);
  return { arrived, sent: perRoom * rooms.length, seconds, senderCpuMs, synapseCpuMs, synapseSendMs };
}

/** `count` rooms of the reference appservice that Alice has joined. */
async function referenceRooms(world: E2eWorld, count: number): Promise<string[]> {
  const { alice } = world.setting;
  const rooms: string[] = [];
  for (let i = 0; i < count; i++) {
    const room = await world.reference.createRoom([alice.userId]);
    await alice.client.joinRoom(room);
    await alice.waitForMembership(room, alice.userId, "join");
    rooms.push(room);
  }
  return rooms;
}

/** Bursts measured in several rounds, taken together: what they carried over what they took. */
function pooled(results: readonly BurstResult[]): BurstResult {
  const sum = (pick: (result: BurstResult) => number) => results.reduce((total, r) => total + pick(r), 0);
  return {
    arrived: sum((r) => r.arrived),
    sent: sum((r) => r.sent),
    seconds: sum((r) => r.seconds),
    senderCpuMs: sum((r) => r.senderCpuMs),
    synapseCpuMs: sum((r) => r.synapseCpuMs),
    synapseSendMs: results.flatMap((r) => r.synapseSendMs),
  };
}

/** How many times each side of a comparison is measured, alternating. */
export const BURST_ROUNDS = 2;

/**
 * `perChat` texts from each of `chats` into its portal, against the reference appservice sending
 * as many into as many rooms of its own (created here), one send in flight per room. Each side is
 * measured BURST_ROUNDS times, alternating (bridged, reference, bridged, ...), and its rounds are
 * pooled. One round each made the ratio depend on the order: what a burst leaves Synapse doing
 * after its last event was seen (its appservice transactions, caches, the other user's sync) fell
 * on the burst after it, and the 8-chat ratio ranged from 0.80 to 0.99 on one quiet machine.
 * `label` and the round go into each burst's prefix.
 */
export async function comparedBursts(
  world: E2eWorld,
  device: Device,
  chats: Array<{ contact: PrimaryDevice; portal: string }>,
  perChat: number,
  label: string,
): Promise<{ bridged: BurstResult; reference: BurstResult }> {
  const rooms = await referenceRooms(world, chats.length);
  const sides = { bridged: [] as BurstResult[], reference: [] as BurstResult[] };
  for (let round = 1; round <= BURST_ROUNDS; round++) {
    sides.bridged.push(await burstFromSignal(world, device, chats, perChat, `${label} round ${round}`));
    sides.reference.push(
      await burstFromAppservice(world, rooms, perChat, `${label} reference round ${round}`),
    );
  }
  return { bridged: pooled(sides.bridged), reference: pooled(sides.reference) };
}

/** What the rows of a burst comparison are called. */
export interface BurstNames {
  /** The bridged burst, e.g. "S->M: 500 msgs of 1 chat at once, until all seen (2 rounds)". */
  burst: string;
  /** The reference burst. */
  reference: string;
  /** Which burst the CPU rows are of, e.g. "1-chat burst". */
  burstKind: string;
  /** How the reference sent, e.g. "one at a time". */
  referenceSends: string;
}

/**
 * The rows of a bridged burst against its reference: throughput; the bridge's CPU per message
 * against the reference appservice's per send (the Matrix-side floor) and libsignal's own
 * decrypt; Synapse's CPU per message against per reference send, and its own time per send
 * request (access log) against per reference send request.
 */
export function burstFigures(
  bridged: BurstResult,
  reference: BurstResult,
  libsignal: LibsignalCost,
  names: BurstNames,
): Figure[] {
  const perBridged = (value: number) => ({ rate: value / bridged.arrived, count: bridged.arrived });
  const perReference = (value: number) => ({ rate: value / reference.arrived, count: reference.arrived });
  const throughput = (burst: BurstResult) => ({ rate: burst.arrived / burst.seconds, count: burst.arrived });
  return [
    ...withReference(
      { name: names.burst, unit: "msg/s", ...throughput(bridged) },
      { name: names.reference, unit: "msg/s", ...throughput(reference) },
    ),
    ...withReference(
      {
        name: `bridge CPU per S->M message (${names.burstKind})`,
        unit: "ms/msg",
        ...perBridged(bridged.senderCpuMs),
      },
      {
        name: `reference appservice CPU per send (${names.referenceSends}, its own process)`,
        unit: "ms/msg",
        ...perReference(reference.senderCpuMs),
      },
      {
        name: "libsignal sealed-sender decrypt, in-process",
        unit: "ms/msg",
        rate: libsignal.decryptMs,
        count: libsignal.messages,
      },
    ),
    ...withReference(
      {
        name: `Synapse CPU per S->M message (${names.burstKind})`,
        unit: "ms/msg",
        ...perBridged(bridged.synapseCpuMs),
      },
      {
        name: `Synapse CPU per appservice send (${names.referenceSends})`,
        unit: "ms/msg",
        ...perReference(reference.synapseCpuMs),
      },
    ),
    ...withReference(
      requestTimes(`Synapse's time per bridged send request (${names.burstKind}, access log)`, bridged),
      requestTimes(`Synapse's time per appservice send request (${names.referenceSends})`, reference),
    ),
  ];
}

/** The mean (as the rate), p50 and p99 of a burst's send requests in Synapse's access log. */
function requestTimes(name: string, burst: BurstResult): Figure {
  const times = burst.synapseSendMs;
  const mean = times.reduce((total, ms) => total + ms, 0) / times.length;
  return { name, unit: "ms/req", rate: mean, count: times.length, ...percentiles(times) };
}
