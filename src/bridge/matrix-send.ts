import { createHash } from "node:crypto";

/** Who sends: a ghost's or the bot's matrix-bot-sdk client, or a user's double puppet. */
export interface MatrixRequester {
  doRequest(
    method: string,
    path: string,
    query?: Record<string, unknown> | null,
    body?: unknown,
  ): Promise<unknown>;
}

function txnIdOf(roomId: string, idempotencyKey: string): string {
  return createHash("sha256").update(`${roomId}\0${idempotencyKey}`).digest("base64url");
}

/**
 * Sends an event with a transaction ID derived from `idempotencyKey`. The homeserver answers a
 * repeated transaction with the first event instead of sending again, so a bridge that crashed
 * between sending and recording the event does not duplicate it when it bridges the message again.
 * `timestamp` (ms) dates the event as an appservice may (`ts`), for history shown late.
 */
export async function sendIdempotent(
  sender: MatrixRequester,
  roomId: string,
  eventType: string,
  content: Record<string, unknown>,
  idempotencyKey: string,
  timestamp?: number,
): Promise<string> {
  const txnId = txnIdOf(roomId, idempotencyKey);
  const path =
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/` +
    `${encodeURIComponent(eventType)}/${encodeURIComponent(txnId)}`;
  const query = timestamp === undefined ? null : { ts: timestamp };
  const response = (await sender.doRequest("PUT", path, query, content)) as { event_id: string };
  return response.event_id;
}

/** Redacts an event; `extra` joins the redaction's content (a double puppet's marker). */
export async function redactIdempotent(
  sender: MatrixRequester,
  roomId: string,
  eventId: string,
  reason: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const txnId = txnIdOf(roomId, `redact:${eventId}`);
  const path =
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/` +
    `${encodeURIComponent(eventId)}/${encodeURIComponent(txnId)}`;
  await sender.doRequest("PUT", path, null, { reason, ...extra });
}
