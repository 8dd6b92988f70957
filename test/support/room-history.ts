/**
 * A room's whole history as the homeserver keeps it (paged through /messages from the start),
 * for counting what arrived: the client's live timeline starts over after a gap in its sync
 * (after a homeserver outage, say), so it can no longer show everything that arrived.
 */
import { Direction, type IEvent } from "matrix-js-sdk";
import type { MatrixUser } from "./matrix-user.js";

export type HistoryEvent = Partial<IEvent> & { type: string; content: Record<string, unknown> };

/** Every event of `roomId` that `user` may see, oldest first. */
export async function roomHistory(user: MatrixUser, roomId: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let from: string | null = null;
  for (;;) {
    const page = await user.client.createMessagesRequest(roomId, from, 1000, Direction.Forward);
    events.push(...(page.chunk as HistoryEvent[]));
    if (page.chunk.length === 0 || !page.end) return events;
    from = page.end;
  }
}

/** The bodies of the messages `sender` sent in the history, oldest first. */
export const bodiesFrom = (history: readonly HistoryEvent[], sender: string): string[] =>
  history
    .filter((event) => event.type === "m.room.message" && event.sender === sender)
    .map((event) => String(event.content["body"] ?? ""));
