import { createHash, randomUUID } from "node:crypto";

/** Requests to the homeserver as one user, answered like matrix-bot-sdk's `doRequest`. */
export interface MatrixRequester {
  doRequest(
    method: string,
    path: string,
    query?: Record<string, unknown> | null,
    body?: unknown,
  ): Promise<unknown>;
}

/** Who sends: a ghost's or the bot's `Intent`, or a user's double puppet. */
export interface SendingUser {
  userId: string;
  matrixClient: MatrixRequester;
}

/** How events get encrypted for a room (the bot device's crypto, when encryption is allowed). */
export interface RoomEncryption {
  isEncrypted(roomId: string, asUserId: string): Promise<boolean>;
  /** The m.room.encrypted content for an event `asUserId` sends. */
  encrypt(
    roomId: string,
    asUserId: string,
    eventType: string,
    content: Record<string, unknown>,
  ): Promise<Record<string, unknown>>;
}

/**
 * The one way the bridge sends room events (messages, reactions, notices, statuses) as the bot or a
 * ghost: in an encrypted room, when encryption is allowed, the event goes out encrypted by the bot
 * device.
 */
export class RoomSender {
  constructor(private readonly encryption: RoomEncryption | undefined) {}

  /** Whether events sent into `roomId` are encrypted (asked as `asUserId`, a member). */
  async encrypts(roomId: string, asUserId: string): Promise<boolean> {
    return this.encryption !== undefined && (await this.encryption.isEncrypted(roomId, asUserId));
  }

  /**
   * Sends an event and resolves to its ID. With an `idempotencyKey` the transaction ID derives from
   * it: the homeserver answers a repeated transaction with the first event instead of sending
   * again, so a bridge that crashed between sending and recording an event does not duplicate it
   * when it bridges the message again (encrypted or not). `timestamp` (ms) dates the event as an
   * appservice may (`ts`), for history shown late.
   */
  async send(
    intent: SendingUser,
    roomId: string,
    eventType: string,
    content: Record<string, unknown>,
    idempotencyKey?: string,
    timestamp?: number,
  ): Promise<string> {
    let type = eventType;
    let body = content;
    if (this.encryption && (await this.encryption.isEncrypted(roomId, intent.userId))) {
      body = await this.encryption.encrypt(roomId, intent.userId, eventType, content);
      type = "m.room.encrypted";
    }
    const txnId =
      idempotencyKey === undefined
        ? randomUUID()
        : createHash("sha256").update(`${roomId}\0${idempotencyKey}`).digest("base64url");
    const path =
      `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/` +
      `${encodeURIComponent(type)}/${encodeURIComponent(txnId)}`;
    const query = timestamp === undefined ? null : { ts: timestamp };
    const response = (await intent.matrixClient.doRequest("PUT", path, query, body)) as { event_id: string };
    return response.event_id;
  }
}

/**
 * Redacts an event with a transaction ID derived from it (a repeat after a crash is the same
 * redaction); `extra` joins the redaction's content (a double puppet's marker).
 */
export async function redact(
  user: SendingUser,
  roomId: string,
  eventId: string,
  reason: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const txnId = createHash("sha256").update(`${roomId}\0redact:${eventId}`).digest("base64url");
  const path =
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/` +
    `${encodeURIComponent(eventId)}/${encodeURIComponent(txnId)}`;
  await user.matrixClient.doRequest("PUT", path, null, { reason, ...extra });
}
