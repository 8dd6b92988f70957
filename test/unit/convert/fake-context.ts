// Hand-written resolvers for the conversion tests: ghosts are @signal_<aci>:example.org,
// and a small table maps Signal message ids to Matrix event ids.
import type {
  MatrixToSignalContext,
  SignalMessageRef,
  SignalToMatrixContext,
  UploadedMedia,
} from "../../../src/convert/index.js";

export const ALICE = "0e7c5a8b-1111-4a4a-8b8b-000000000001";
export const BOB = "0e7c5a8b-2222-4a4a-8b8b-000000000002";
export const ROOM = "!portal:example.org";

const NAMES: Record<string, string> = { [ALICE]: "Alice", [BOB]: "Bob <the builder>" };

export function ghostOf(aci: string): string {
  return `@signal_${aci}:example.org`;
}

export function aciOfGhost(userId: string): string | undefined {
  return /^@signal_([0-9a-f-]{36}):example\.org$/.exec(userId)?.[1];
}

interface Bridged {
  ref: SignalMessageRef;
  eventIds: string[];
}

export function signalContext(
  options: {
    bridged?: Bridged[];
    reactions?: Record<string, string>;
    media?: Record<string, UploadedMedia>;
  } = {},
): SignalToMatrixContext {
  const bridged = options.bridged ?? [];
  return {
    roomId: ROOM,
    ghostUserIdOf: ghostOf,
    displayNameOf: async (aci) => NAMES[aci],
    eventIdsOf: async (ref) =>
      bridged.find((b) => b.ref.authorAci === ref.authorAci && b.ref.sentTimestamp === ref.sentTimestamp)
        ?.eventIds ?? [],
    reactionEventIdOf: async (reactor, target) =>
      options.reactions?.[`${reactor}/${target.authorAci}/${target.sentTimestamp}`],
    media: new Map(Object.entries(options.media ?? {})),
  };
}

export function matrixContext(events: Record<string, SignalMessageRef> = {}): MatrixToSignalContext {
  return {
    aciOfMatrixUser: aciOfGhost,
    signalMessageOf: async (eventId) => events[eventId],
  };
}
