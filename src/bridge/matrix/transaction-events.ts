import { createHash } from "node:crypto";
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
  /** What the transaction says about devices, for end-to-bridge encryption. */
  device: TransactionDeviceData;
}

/**
 * The device fields of a transaction: to-device messages for the appservice's users (MSC4203, still
 * under MSC2409's unstable name), device-list changes and one-time and fallback key counts (MSC3202).
 * Homeservers send them only when asked (Synapse: experimental features, see docs/encryption.md).
 */
export interface TransactionDeviceData {
  toDevice: Record<string, unknown>[];
  changed: string[];
  left: string[];
  /** user -> device -> algorithm -> count */
  oneTimeKeyCounts: Record<string, Record<string, Record<string, number>>>;
  /** user -> device -> algorithms */
  unusedFallbackKeyTypes: Record<string, Record<string, string[]>>;
}

/** The bridge's own users (bot and ghosts): their events are echoes, not something to relay. */
export type IsBridgeUser = (userId: string) => boolean;

/** Whether a room event's content marks it as sent by this bridge as a user's own account. */
export type IsOwnEcho = (content: unknown) => boolean;

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
  isOwnEcho: IsOwnEcho = () => false,
): TransactionEvents {
  const result: TransactionEvents = {
    journal: [],
    roomEvents: [],
    skipped: [],
    device: { toDevice: [], changed: [], left: [], oneTimeKeyCounts: {}, unusedFallbackKeyTypes: {} },
  };
  if (!isObject(body)) {
    result.skipped.push("the transaction body is not a JSON object");
    return result;
  }
  result.device = deviceDataOf(body, result.skipped);
  const events = listOf(body["events"], "events", result.skipped);
  for (const [index, event] of events.entries()) {
    const problem = roomEventProblem(event);
    if (problem) {
      result.skipped.push(`events[${index}]: ${problem}`);
      continue;
    }
    const valid = event as Record<string, unknown> & { event_id: string; room_id: string; sender: string };
    result.roomEvents.push(valid);
    // Double-puppeted events come from the user's own account; only their marker tells them apart.
    if (isBridgeUser(valid.sender) || isOwnEcho(valid["content"])) continue;
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
      key: ephemeralJournalKey(txnId, index, valid),
      roomId: valid.room_id,
      kind: "ephemeral",
      event: valid,
    });
  }
  return result;
}

function deviceDataOf(body: Record<string, unknown>, skipped: string[]): TransactionDeviceData {
  const toDeviceKey = Array.isArray(body["to_device"]) ? "to_device" : "de.sorunome.msc2409.to_device";
  const toDevice: Record<string, unknown>[] = [];
  for (const [index, event] of listOf(body[toDeviceKey], toDeviceKey, skipped).entries()) {
    const valid =
      isObject(event) &&
      ["type", "sender", "to_user_id", "to_device_id"].every((field) => typeof event[field] === "string") &&
      isObject(event["content"]);
    if (valid) toDevice.push(event);
    else skipped.push(`${toDeviceKey}[${index}]: not a to-device event`);
  }
  const lists = body["device_lists"] ?? body["org.matrix.msc3202.device_lists"];
  return {
    toDevice,
    changed: isObject(lists) ? stringsOf(lists["changed"]) : [],
    left: isObject(lists) ? stringsOf(lists["left"]) : [],
    oneTimeKeyCounts: perDevice(
      body["device_one_time_keys_count"] ?? body["org.matrix.msc3202.device_one_time_keys_count"],
      (value) => (isObject(value) ? numbersOf(value) : undefined),
    ),
    unusedFallbackKeyTypes: perDevice(
      body["device_unused_fallback_key_types"] ?? body["org.matrix.msc3202.device_unused_fallback_key_types"],
      (value) => (Array.isArray(value) ? stringsOf(value) : undefined),
    ),
  };
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function numbersOf(value: Record<string, unknown>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, count] of Object.entries(value)) if (typeof count === "number") result[name] = count;
  return result;
}

/** A user -> device -> value map, keeping only entries `read` accepts. */
function perDevice<T>(
  value: unknown,
  read: (value: unknown) => T | undefined,
): Record<string, Record<string, T>> {
  const result: Record<string, Record<string, T>> = {};
  if (!isObject(value)) return result;
  for (const [userId, devices] of Object.entries(value)) {
    if (!isObject(devices)) continue;
    for (const [deviceId, entry] of Object.entries(devices)) {
      const parsed = read(entry);
      if (parsed !== undefined) (result[userId] ??= {})[deviceId] = parsed;
    }
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

/**
 * The journal key of an ephemeral event: its transaction, position and content. A redelivered
 * transaction gives the same key; the same id reused by a homeserver for other events does not.
 */
function ephemeralJournalKey(txnId: string, index: number, event: Record<string, unknown>): string {
  const digest = createHash("sha256").update(JSON.stringify(event)).digest("base64url").slice(0, 22);
  return `${txnId}/ephemeral/${index}/${digest}`;
}
