// Keeps the last known state of each group, master key included, in the account's storage: after
// a restart the client can send to a group (and tell what changed in it) without waiting for the
// next message that names the group's key.
import type { RecipientRecord, SignalStorage, StorageWrite } from "../storage.js";
import { GroupCipher } from "./group-cipher.js";
import type { SignalGroup } from "./group-model.js";

const FORMAT_VERSION = 1;

/** The group's identifier as base64 (how groups are named outside the client), from its master key. */
export function groupIdOf(masterKey: Uint8Array): string {
  const key = Buffer.from(masterKey.buffer, masterKey.byteOffset, masterKey.byteLength).toString("base64");
  let groupId = recentGroupIds.get(key);
  if (groupId === undefined) {
    groupId = Buffer.from(new GroupCipher(masterKey).groupId).toString("base64");
    if (recentGroupIds.size >= RECENT_GROUP_IDS) recentGroupIds.clear();
    recentGroupIds.set(key, groupId);
  }
  return groupId;
}

/**
 * Group ids of the master keys seen lately: deriving one costs about 0.2 ms (a zkgroup key
 * derivation), and each group message needs it several times.
 */
const recentGroupIds = new Map<string, string>();
const RECENT_GROUP_IDS = 1000;

/** The group's stored state, or null if it was never saved. */
export async function loadGroup(storage: SignalStorage, groupId: string): Promise<SignalGroup | null> {
  const record = await storage.getGroup(groupId);
  return record === null ? null : decodeGroupRecord(record);
}

/** Saves the group's state, replacing what was stored. */
export async function saveGroup(storage: SignalStorage, group: SignalGroup): Promise<void> {
  const groupId = Buffer.from(group.id).toString("base64");
  await storage.commit([{ type: "group", groupId, record: encodeGroupRecord(group) }]);
}

/**
 * Keeps the members' profile keys in their recipients where none is known yet, as Signal clients
 * do, so that the names of members who are not contacts can be fetched.
 */
export async function saveMemberProfileKeys(storage: SignalStorage, group: SignalGroup): Promise<void> {
  const writes: StorageWrite[] = [];
  for (const member of group.members) {
    if (!member.profileKey) continue;
    const known = await storage.getRecipient(member.aci);
    if (known?.profileKey) continue;
    const recipient: RecipientRecord = {
      aci: member.aci,
      pni: known?.pni ?? null,
      number: known?.number ?? null,
      profileKey: member.profileKey,
      profileName: known?.profileName ?? null,
      contactName: known?.contactName ?? null,
    };
    writes.push({ type: "recipient", recipient });
  }
  if (writes.length > 0) await storage.commit(writes);
}

// JSON, with byte arrays as {"$bytes": base64}: the group model is plain data apart from those.
export function encodeGroupRecord(group: SignalGroup): Uint8Array {
  const json = JSON.stringify({ version: FORMAT_VERSION, group }, (_key, value: unknown) =>
    value instanceof Uint8Array ? { $bytes: Buffer.from(value).toString("base64") } : value,
  );
  return new Uint8Array(Buffer.from(json, "utf8"));
}

export function decodeGroupRecord(record: Uint8Array): SignalGroup {
  const parsed = JSON.parse(Buffer.from(record).toString("utf8"), (_key, value: unknown) =>
    isBytes(value) ? new Uint8Array(Buffer.from(value.$bytes, "base64")) : value,
  ) as { version: number; group: SignalGroup };
  if (parsed.version !== FORMAT_VERSION) {
    throw new TypeError(`stored group record has format ${parsed.version}, expected ${FORMAT_VERSION}`);
  }
  return parsed.group;
}

function isBytes(value: unknown): value is { $bytes: string } {
  return (
    typeof value === "object" && value !== null && typeof (value as { $bytes?: unknown }).$bytes === "string"
  );
}
