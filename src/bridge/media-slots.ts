import { type MatrixAction, mediaSlotsOf } from "../convert/index.js";
import type { signalservice } from "../signal/index.js";

export type MediaSlot = ReturnType<typeof mediaSlotsOf>[number];

/**
 * The media slots of a message whose Matrix parts are not sent yet, so that a redelivered
 * message (after a crash mid-message) uploads nothing twice. Convert sends attachments as parts
 * 0..n-1 and a sticker right after them; link previews belong to the text, the last part of
 * `draft` (the message converted once without media: media only changes a part's content).
 */
export function pendingMediaSlots(
  message: signalservice.IDataMessage,
  recordedParts: ReadonlySet<number>,
  draft: readonly MatrixAction[],
): MediaSlot[] {
  const slots = mediaSlotsOf(message as signalservice.DataMessage);
  if (recordedParts.size === 0) return slots;
  const attachmentCount = message.attachments?.length ?? 0;
  const lastPart = Math.max(-1, ...draft.map((action) => ("part" in action ? (action.part ?? -1) : -1)));
  return slots.filter(({ slot }) => {
    if (slot.startsWith("attachment:")) return !recordedParts.has(Number(slot.slice("attachment:".length)));
    if (slot === "sticker") return !recordedParts.has(attachmentCount);
    return !recordedParts.has(lastPart);
  });
}
