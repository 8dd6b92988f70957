// a. and b.: one Signal chat's burst into its portal, against the same number of events an
// appservice sends one at a time into a room; the bridge's CPU per message against libsignal's
// own decrypt; Synapse's CPU per bridged message against per appservice send.
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import type { Figure } from "../measure.js";
import type { LibsignalCost } from "./libsignal-cost.js";
import { BURST_ROUNDS, burstFigures, comparedBursts } from "./signal-burst.js";
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
  const { bridged, reference } = await comparedBursts(world, chat.device, [chat], MESSAGES, "one chat");
  const appserviceSend = {
    synapseCpuMs: reference.synapseCpuMs / reference.arrived,
    count: reference.arrived,
  };
  const figures = burstFigures(bridged, reference, libsignal, {
    burst: `S->M: ${MESSAGES} msgs of 1 chat at once, until all seen (${BURST_ROUNDS} rounds)`,
    reference: `appservice sends ${MESSAGES} one at a time, until all seen`,
    burstKind: "1-chat burst",
    referenceSends: "one at a time",
  });
  return { figures, appserviceSend };
}
