/**
 * Transactions pushed to the bridge the way the homeserver pushes them (PUT
 * /_matrix/app/v1/transactions/{txnId} with the registration's hs_token), for what a homeserver
 * may do but Synapse will not do on cue: deliver a transaction again, deliver overlapping ones,
 * or carry nulls, odd fields or thousands of events.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import type { BridgeProcess } from "./bridge-process.js";

export interface TransactionAnswer {
  status: number;
  body: string;
}

export interface AppserviceTransactions {
  /**
   * PUTs `body` (serialized as JSON) as transaction `txnId`; with `encoded: false` the id goes
   * into the path as it is (to send a malformed one), with `authorized: false` without the token.
   */
  push(
    txnId: string,
    body: unknown,
    options?: { timeoutMs?: number; encoded?: boolean; authorized?: boolean },
  ): Promise<TransactionAnswer>;
}

/** A client for the bridge's transaction endpoint, authenticated like the homeserver. */
export async function appserviceTransactions(bridge: BridgeProcess): Promise<AppserviceTransactions> {
  const registration = parse(await readFile(bridge.registrationFile, "utf8")) as { hs_token?: unknown };
  const token = registration.hs_token;
  if (typeof token !== "string") throw new Error(`${bridge.registrationFile} has no hs_token`);
  return {
    async push(txnId, body, { timeoutMs = 60_000, encoded = true, authorized = true } = {}) {
      const id = encoded ? encodeURIComponent(txnId) : txnId;
      const url = `${bridge.appserviceUrl}/_matrix/app/v1/transactions/${id}`;
      let response: Response;
      try {
        response = await fetch(url, {
          method: "PUT",
          headers: {
            ...(authorized ? { authorization: `Bearer ${token}` } : {}),
            "content-type": "application/json",
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const reason =
          (error as Error).name === "TimeoutError"
            ? `within ${timeoutMs} ms`
            : `(${(error as Error).message}: ${String((error as Error).cause ?? "")})`;
        throw new Error(`the bridge did not answer transaction ${txnId} ${reason}`, { cause: error });
      }
      return { status: response.status, body: await response.text() };
    },
  };
}

/** A new transaction id, unique like the homeserver's. */
export const newTxnId = (): string => `test-${Date.now()}-${randomBytes(6).toString("hex")}`;

/** A new event id in the shape Synapse gives room version 10 events. */
export const newEventId = (): string => `$${randomBytes(32).toString("base64url").slice(0, 43)}`;

/** A room event as the homeserver serializes it into a transaction. */
export function roomEvent(fields: {
  roomId: string;
  sender: string;
  type: string;
  content: Record<string, unknown>;
  eventId?: string;
}): Record<string, unknown> {
  return {
    type: fields.type,
    room_id: fields.roomId,
    sender: fields.sender,
    content: fields.content,
    event_id: fields.eventId ?? newEventId(),
    origin_server_ts: Date.now(),
    unsigned: { age: 0 },
  };
}

/** An `m.text` message event. */
export const textEvent = (roomId: string, sender: string, body: string, eventId?: string) =>
  roomEvent({ roomId, sender, type: "m.room.message", content: { msgtype: "m.text", body }, eventId });

/** An `m.reaction` annotating `targetEventId`. */
export const reactionEvent = (roomId: string, sender: string, targetEventId: string, key: string) =>
  roomEvent({
    roomId,
    sender,
    type: "m.reaction",
    content: { "m.relates_to": { rel_type: "m.annotation", event_id: targetEventId, key } },
  });
