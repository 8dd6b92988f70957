// a. and b.: one Signal chat's burst into its portal, against the same number of events an
// appservice sends one at a time into a room; the bridge's CPU per message against libsignal's
// own decrypt; Synapse's CPU per bridged message against per appservice send.
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import type { Figure } from "../measure.js";
import { withReference } from "./compare.js";
import type { LibsignalCost } from "./libsignal-cost.js";
import {
  alternatedBursts,
  BURST_ROUNDS,
  burstFromAppservice,
  burstFromSignal,
  referenceRooms,
} from "./signal-burst.js";
import type { E2eWorld } from "./world.js";

const MESSAGES = 500;

export interface OneChatResult {
  figures: Figure[];
  /** Synapse's CPU ms per event the reference appservice sent one at a time (the reference of d.). */
  appserviceSend: { synapseCpuMs: number; count: number };
}

export async function signalToMatrixOneChat(
  world: E2eWorld,
  chat: { device: Device; contact: PrimaryDevice; portal: string },
  libsignal: LibsignalCost,
): Promise<OneChatResult> {
  const [room] = await referenceRooms(world, 1);
  const { bridged, reference } = await alternatedBursts(
    (round) => burstFromSignal(world, chat.device, [chat], MESSAGES, `one chat burst round ${round}`),
    (round) => burstFromAppservice(world, [room!], MESSAGES, `reference one room round ${round}`),
  );
  const appserviceSend = {
    synapseCpuMs: reference.synapseCpuMs / reference.arrived,
    count: reference.arrived,
  };
  const figures = [
    ...withReference(
      {
        name: `S->M: ${MESSAGES} msgs of 1 chat at once, until all seen (${BURST_ROUNDS} rounds)`,
        unit: "msg/s",
        rate: bridged.arrived / bridged.seconds,
        count: bridged.arrived,
      },
      {
        name: `appservice sends ${MESSAGES} one at a time, until all seen`,
        unit: "msg/s",
        rate: reference.arrived / reference.seconds,
        count: reference.arrived,
      },
    ),
    ...withReference(
      {
        name: "bridge CPU per S->M message (1-chat burst)",
        unit: "ms/msg",
        rate: bridged.bridgeCpuMs / bridged.arrived,
        count: bridged.arrived,
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
        name: "Synapse CPU per S->M message (1-chat burst)",
        unit: "ms/msg",
        rate: bridged.synapseCpuMs / bridged.arrived,
        count: bridged.arrived,
      },
      {
        name: "Synapse CPU per appservice send (one at a time)",
        unit: "ms/msg",
        rate: appserviceSend.synapseCpuMs,
        count: reference.arrived,
      },
    ),
  ];
  return { figures, appserviceSend };
}
