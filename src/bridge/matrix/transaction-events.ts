// What of a homeserver transaction goes into the journal: every well-formed room event and
// ephemeral event, each with the key it is deduplicated by. Anything malformed is left out with a
// reason, never thrown: a transaction is answered whatever it carries.
import type { IncomingJournalEvent } from "../../store/index.js";

export interface TransactionEvents {
  /** Well-formed events to journal, in the order the homeserver sent them. */
  journal: IncomingJournalEvent[];
  /** Well-formed room events (also the bridge's own), for the appservice library's bookkeeping. */
  roomEvents: Record<string, unknown>[];
  /** Why each left-out entry was left out (for the log). */
  skipped: string[];
}

/** The bridge's own users (bot and ghosts): their events are echoes, not something to relay. */
export type IsBridgeUser = (userId: string) => boolean;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Sorts a transaction body's events. Ephemeral events come under the stable `ephemeral` key
 * (MSC2409, merged) or, from older homeservers, the unstable one; when both are present they carry
 * the same events, so the stable one is read.
 */
export function transactionEvents(
  txnId: string,
  body: unknown,
  isBridgeUser: IsBridgeUser,
): TransactionEvents {
  const result: TransactionEvents = { journal: [], roomEvents: [], skipped: [] };
  if (!isObject(body)) {
    result.skipped.push("the transaction body is not a JSON object");
    return result;
  }
  const events = listOf(body["events"], "events", result.skipped);
  for (const [index, event] of events.entries()) {
    const problem = roomEventProblem(event);
    if (problem) {
      result.skipped.push(`events[${index}]: ${problem}`);
      continue;
    }
    const valid = event as Record<string, unknown> & { event_id: string; room_id: string; sender: string };
    result.roomEvents.push(valid);
    if (isBridgeUser(valid.sender)) continue;
    result.journal.push({ key: valid.event_id, roomId: valid.room_id, kind: "event", event: valid });
  }
  const ephemeralKey = Array.isArray(body["ephemeral"]) ? "ephemeral" : "de.sorunome.msc2409.ephemeral";
  const ephemeral = listOf(body[ephemeralKey], ephemeralKey, result.skipped);
  for (const [index, event] of ephemeral.entries()) {
    const problem = ephemeralEventProblem(event);
    if (problem === "presence") continue; // nothing the bridge relays; not worth a log line
    if (problem) {
      result.skipped.push(`${ephemeralKey}[${index}]: ${problem}`);
      continue;
    }
    const valid = event as Record<string, unknown> & { room_id: string };
    // Ephemeral events have no id; the transaction they came in names them.
    result.journal.push({
      key: `${txnId}/ephemeral/${index}`,
      roomId: valid.room_id,
      kind: "ephemeral",
      event: valid,
    });
  }
  return result;
}

function listOf(value: unknown, name: string, skipped: string[]): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  skipped.push(`${name} is not a list`);
  return [];
}

function roomEventProblem(event: unknown): string | undefined {
  if (!isObject(event)) return "not an object";
  for (const field of ["event_id", "room_id", "type", "sender"]) {
    if (typeof event[field] !== "string" || event[field] === "") return `no ${field}`;
  }
  if (!isObject(event["content"])) return "no content object";
  return undefined;
}

function ephemeralEventProblem(event: unknown): string | undefined {
  if (!isObject(event)) return "not an object";
  if (typeof event["type"] !== "string") return "no type";
  if (event["type"] === "m.presence") return "presence";
  if (typeof event["room_id"] !== "string" || event["room_id"] === "") return "no room_id";
  if (!isObject(event["content"])) return "no content object";
  return undefined;
}
