// c., b. and d. for Matrix -> Signal: Alice sends texts one at a time in a direct portal, each
// timed from her send until the mock contact has decrypted it; against a plain Matrix text
// from Alice timed until Bob's client has it from /sync. The bridge's CPU per message is set
// against libsignal's own encrypt, Synapse's CPU per message against per appservice send.
// Synapse's share includes what the bridge sends back per message (nothing by default; a
// com.beeper.message_send_status event each with bridge.message_status_events on).
import { performance } from "node:perf_hooks";
import type { PrimaryDevice } from "@signalapp/mock-server";
import { openContactInbox } from "../../../test/support/contact-inbox.js";
import type { MatrixUser } from "../../../test/support/matrix-user.js";
import type { Figure } from "../measure.js";
import { percentiles, withReference } from "./compare.js";
import type { LibsignalCost } from "./libsignal-cost.js";
import { cpuMeter } from "./process-stats.js";
import type { E2eWorld } from "./world.js";

const WARMUP = 5;
const MESSAGES = 100;
const ARRIVAL_TIMEOUT_MS = 60_000;

type DataHandler = (
  source: unknown,
  kind: unknown,
  type: unknown,
  content: unknown,
  message: { body?: string | null },
) => void;

/**
 * Calls `onBody` with the body of each data message `contact` decrypts. The contact inbox takes
 * the messages off the mock's queue; this hooks in after it.
 */
function listenToContact(contact: PrimaryDevice, onBody: (body: string) => void): () => void {
  const inbox = openContactInbox(contact);
  const device = contact as unknown as { handleDataMessage: DataHandler };
  const inboxHandler = device.handleDataMessage;
  device.handleDataMessage = (source, kind, type, content, message) => {
    inboxHandler.call(device, source, kind, type, content, message);
    onBody(message.body ?? "");
  };
  return () => {
    device.handleDataMessage = inboxHandler;
    inbox.close();
  };
}

interface Timed {
  samples: number[];
  seconds: number;
  synapseCpuMs: number;
  bridgeCpuMs: number;
}

/** Runs `send(body)` then `arrival(body)` for each message one at a time, timing each. */
async function timeEach(
  world: E2eWorld,
  prefix: string,
  send: (body: string) => Promise<unknown>,
  arrival: (body: string) => Promise<unknown>,
): Promise<Timed> {
  for (let i = 0; i < WARMUP; i++) {
    const body = `${prefix} warm-up ${i}`;
    const arrived = arrival(body);
    arrived.catch(() => undefined); // awaited below, unless the send fails first
    await send(body);
    await arrived;
  }
  const bridgeCpu = cpuMeter(world.bridgePid());
  const synapseCpu = cpuMeter(await world.synapsePid());
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    const body = `${prefix} ${i}`;
    const before = performance.now();
    const arrived = arrival(body);
    arrived.catch(() => undefined); // awaited below, unless the send fails first
    await send(body);
    await arrived;
    samples.push(performance.now() - before);
  }
  const seconds = (performance.now() - start) / 1000;
  return { samples, seconds, synapseCpuMs: synapseCpu.stop(), bridgeCpuMs: bridgeCpu.stop() };
}

/**
 * Sends a text with the content Element gives one (`m.mentions` included, which Synapse validates
 * at a cost of its own), the same for the bridged and the plain sends.
 */
async function sendAsElement(user: MatrixUser, roomId: string, body: string): Promise<void> {
  const content = { msgtype: "m.text", body, "m.mentions": {} };
  await user.client.sendEvent(roomId, "m.room.message" as never, content as never);
}

export async function matrixToSignal(
  world: E2eWorld,
  chat: { contact: PrimaryDevice; portal: string },
  libsignal: LibsignalCost,
  appserviceSend: { synapseCpuMs: number; count: number },
): Promise<Figure[]> {
  const { alice } = world.setting;
  const waiting = new Map<string, () => void>();
  const stopListening = listenToContact(chat.contact, (body) => waiting.get(body)?.());
  let bridged: Timed;
  try {
    bridged = await timeEach(
      world,
      "to signal",
      (body) => sendAsElement(alice, chat.portal, body),
      (body) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`"${body}" did not reach the contact in ${ARRIVAL_TIMEOUT_MS} ms`)),
            ARRIVAL_TIMEOUT_MS,
          );
          waiting.set(body, () => {
            clearTimeout(timer);
            waiting.delete(body);
            resolve();
          });
        }),
    );
  } finally {
    stopListening();
  }

  const bob = await world.bob();
  const room = await alice.createDirectRoom(bob.userId);
  await bob.client.joinRoom(room);
  await alice.waitForMembership(room, bob.userId, "join");
  const plain = await timeEach(
    world,
    "to bob",
    (body) => sendAsElement(alice, room, body),
    (body) =>
      bob.waitForEvent(room, (event) => event.getContent()["body"] === body, `"${body}"`, ARRIVAL_TIMEOUT_MS),
  );

  return [
    ...withReference(
      {
        name: "M->S latency: Matrix send -> mock contact decrypted it",
        unit: "msg/s",
        rate: MESSAGES / bridged.seconds,
        count: MESSAGES,
        ...percentiles(bridged.samples),
      },
      {
        name: "plain Matrix send -> seen by another user's /sync",
        unit: "msg/s",
        rate: MESSAGES / plain.seconds,
        count: MESSAGES,
        ...percentiles(plain.samples),
      },
    ),
    ...withReference(
      {
        name: "bridge CPU per M->S message (one at a time)",
        unit: "ms/msg",
        rate: bridged.bridgeCpuMs / MESSAGES,
        count: MESSAGES,
      },
      {
        name: "libsignal sealed-sender encrypt, in-process",
        unit: "ms/msg",
        rate: libsignal.encryptMs,
        count: libsignal.messages,
      },
    ),
    ...withReference(
      {
        name: "Synapse CPU per M->S message (one at a time)",
        unit: "ms/msg",
        rate: bridged.synapseCpuMs / MESSAGES,
        count: MESSAGES,
      },
      {
        name: "Synapse CPU per appservice send (one at a time)",
        unit: "ms/msg",
        rate: appserviceSend.synapseCpuMs,
        count: appserviceSend.count,
      },
      {
        name: "Synapse CPU per plain user send seen by Bob's /sync",
        unit: "ms/msg",
        rate: plain.synapseCpuMs / MESSAGES,
        count: MESSAGES,
      },
    ),
  ];
}
