// Waiting for the transfer archive: when a device is linked with history transfer, the phone
// exports its recent history, uploads it to the CDN and tells the server where; the new device
// asks the server (a long poll) until it knows.
import { chatRequest, type ChatRequester } from "../chat-api.js";
import { ServiceRequestError } from "../errors.js";

/** Where the phone put the archive: a CDN number and the key of the upload there. */
export interface TransferArchiveLocation {
  cdn: number;
  key: string;
}

/**
 * What the phone did: uploaded the archive, chose to go on without history, or asked to link
 * again (its export failed in a way a new link fixes).
 */
export type TransferArchiveAnswer =
  | { kind: "archive"; location: TransferArchiveLocation }
  | { kind: "declined" }
  | { kind: "relink-requested" };

const PATH = "/v1/devices/transfer_archive";
/** Our own request timeout leaves the server this much time beyond the poll it was asked for. */
const POLL_MARGIN_MS = 15_000;

/**
 * Asks the server once, letting it hold the request for up to `waitSeconds` until the phone has
 * uploaded; null when it has not by then.
 */
export async function pollTransferArchive(
  chat: ChatRequester,
  waitSeconds: number,
): Promise<TransferArchiveAnswer | null> {
  const path = `${PATH}?timeout=${Math.max(1, Math.round(waitSeconds))}`;
  const response = await chatRequest(chat, "GET", path, undefined, [], waitSeconds * 1000 + POLL_MARGIN_MS);
  if (response.status === 204) return null;
  if (response.status !== 200) throw new ServiceRequestError("GET", PATH, response.status, "");
  return answerOf(response.json);
}

function answerOf(json: unknown): TransferArchiveAnswer {
  const body = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  if (body["error"] === "CONTINUE_WITHOUT_UPLOAD") return { kind: "declined" };
  if (body["error"] === "RELINK_REQUESTED") return { kind: "relink-requested" };
  const { cdn, key } = body;
  if (typeof cdn === "number" && Number.isInteger(cdn) && typeof key === "string" && key.length > 0) {
    return { kind: "archive", location: { cdn, key } };
  }
  throw new ServiceRequestError("GET", PATH, 200, "the answer names no archive");
}
