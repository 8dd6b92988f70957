// a. with several chats: each contact's burst into its own portal, all at once, against an
// appservice sending the same events into as many rooms with one send in flight per room.
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import type { Figure } from "../measure.js";
import type { LibsignalCost } from "./libsignal-cost.js";
import { BURST_ROUNDS, burstFigures, comparedBursts } from "./signal-burst.js";
import type { E2eWorld } from "./world.js";

const PER_CHAT = 100;

export async function signalToMatrixChats(
  world: E2eWorld,
  device: Device,
  chats: Array<{ contact: PrimaryDevice; portal: string }>,
  libsignal: LibsignalCost,
): Promise<Figure[]> {
  const { bridged, reference } = await comparedBursts(world, device, chats, PER_CHAT, "chats");
  const n = chats.length;
  return burstFigures(bridged, reference, libsignal, {
    burst: `S->M: ${n} chats x ${PER_CHAT} msgs at once, until all seen (${BURST_ROUNDS} rounds)`,
    reference: `appservice, ${n} rooms x ${PER_CHAT}, ${n} sends in flight`,
    burstKind: `${n}-chat burst`,
    referenceSends: `${n} in flight`,
  });
}
