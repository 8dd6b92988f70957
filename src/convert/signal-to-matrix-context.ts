import type { UploadedMedia } from "./signal-attachment-to-matrix.js";
import type {
  MessageContent,
  PollEndContent,
  PollResponseContent,
  PollStartContent,
  ReactionContent,
  StickerContent,
} from "./matrix-content.js";

/** A Signal message id: its author and the timestamp it was sent with. */
export interface SignalMessageRef {
  authorAci: string;
  sentTimestamp: number;
}

/** What Signal -> Matrix conversion needs to know about the world, supplied by the bridge. */
export interface SignalToMatrixContext {
  /** The portal room, for links to replied-to events. */
  roomId: string;
  /** The Matrix user that speaks for a Signal account: its ghost, or a linked user's own account. */
  ghostUserIdOf(aci: string): string;
  /** The Signal profile or contact name, if known. */
  displayNameOf(aci: string): Promise<string | undefined>;
  /** Matrix events already sent for a Signal message, in part order; empty if it was never bridged. */
  eventIdsOf(message: SignalMessageRef): Promise<readonly string[]>;
  /**
   * The answer ids of a Matrix poll the bridge sent to Signal, in order (Signal votes name
   * answers by position); undefined for polls from Signal, whose ids are the positions.
   */
  pollAnswersOf?(pollEventId: string): Promise<readonly string[] | undefined>;
  /** The reaction a Signal user put on a message earlier, which a new reaction replaces. */
  reactionEventIdOf(reactorAci: string, target: SignalMessageRef): Promise<string | undefined>;
  /** Media the bridge uploaded for this message, by slot (see `mediaSlotsOf`). */
  media: ReadonlyMap<string, UploadedMedia>;
}

/**
 * One thing the bridge should do in the room. A `send` with a `part` is one piece of a new
 * Signal message (attachments first, then sticker, contacts, poll, text): record its event id
 * under (message, part) so replies, reactions, edits and deletes can find it later.
 */
export type MatrixAction =
  | { kind: "send"; eventType: "m.room.message"; content: MessageContent; part?: number }
  | { kind: "send"; eventType: "m.sticker"; content: StickerContent; part?: number }
  | { kind: "send"; eventType: "org.matrix.msc3381.poll.start"; content: PollStartContent; part?: number }
  | {
      kind: "send";
      eventType: "org.matrix.msc3381.poll.response";
      content: PollResponseContent;
      part?: number;
    }
  | { kind: "send"; eventType: "org.matrix.msc3381.poll.end"; content: PollEndContent; part?: number }
  | { kind: "send"; eventType: "m.reaction"; content: ReactionContent }
  | { kind: "redact"; eventId: string; reason: string };
