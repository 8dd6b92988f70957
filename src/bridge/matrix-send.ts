import { createHash } from "node:crypto";
import type { Intent } from "matrix-appservice-bridge";

/**
 * Sends an event with a transaction ID derived from `idempotencyKey`. The homeserver answers a
 * repeated transaction with the first event instead of sending again, so a bridge that crashed
 * between sending and recording the event does not duplicate it when it bridges the message again.
 * `timestamp` (ms) dates the event as an appservice may (`ts`), for history shown late.
 */
export async function sendIdempotent(
  intent: Intent,
  roomId: string,
  eventType: string,
  content: Record<string, unknown>,
  idempotencyKey: string,
  timestamp?: number,
): Promise<string> {
  const txnId = createHash("sha256").update(`${roomId}\0${idempotencyKey}`).digest("base64url");
  const path =
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/` +
    `${encodeURIComponent(eventType)}/${encodeURIComponent(txnId)}`;
  const query = timestamp === undefined ? null : { ts: timestamp };
  const response = (await intent.matrixClient.doRequest("PUT", path, query, content)) as { event_id: string };
  return response.event_id;
}
