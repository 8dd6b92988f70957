// Who must get our group sender key before a sender-key message can reach them, and when the key
// must be replaced. Pure: the caller supplies the stored state, the current devices and the clock.
import type { RecipientDevice } from "../message-sender.js";
import type { SenderKeyDistributionRecord, SenderKeyHolder } from "../storage.js";

// A sender key is replaced after this long even when nobody left, bounding what a leaked key reveals.
export const SENDER_KEY_MAX_AGE_MS = 90 * 24 * 60 * 60 * 1000;

export interface SenderKeyPlan {
  /** The state to use: the stored one, or a fresh one (new distribution id, shared with nobody). */
  record: SenderKeyDistributionRecord;
  /** True when the stored key must not be used any more (or there was none). */
  fresh: boolean;
  /** Recipients with at least one device that lacks the current key. */
  needKey: string[];
}

/**
 * Plans a sender-key send to `devices` (each recipient's current devices). The key is replaced
 * when it is old or a holder is no longer a recipient (they left the group and must not read on);
 * a device that is new, or was re-registered (other registration id), gets the key again.
 */
export function planSenderKeyDistribution(
  stored: SenderKeyDistributionRecord | null,
  groupId: string,
  devices: ReadonlyMap<string, readonly RecipientDevice[]>,
  now: number,
  newDistributionId: () => string,
): SenderKeyPlan {
  const someoneLeft = stored?.sharedWith.some((holder) => !devices.has(holder.serviceId)) ?? false;
  const tooOld = stored !== null && now - stored.createdAt > SENDER_KEY_MAX_AGE_MS;
  const fresh = stored === null || someoneLeft || tooOld;
  const record: SenderKeyDistributionRecord = fresh
    ? { groupId, distributionId: newDistributionId(), createdAt: now, sharedWith: [] }
    : stored;
  const held = new Set(record.sharedWith.map(holderKey));
  const needKey = [...devices.entries()]
    .filter(([serviceId, list]) =>
      list.some(
        ({ deviceId, registrationId }) => !held.has(holderKey({ serviceId, deviceId, registrationId })),
      ),
    )
    .map(([serviceId]) => serviceId);
  return { record, fresh, needKey };
}

/** `record` after `serviceId`'s devices (all of them, as they are now) received the key. */
export function withHolders(
  record: SenderKeyDistributionRecord,
  serviceId: string,
  devices: readonly RecipientDevice[],
): SenderKeyDistributionRecord {
  return {
    ...record,
    sharedWith: [
      ...record.sharedWith.filter((holder) => holder.serviceId !== serviceId),
      ...devices.map(({ deviceId, registrationId }) => ({ serviceId, deviceId, registrationId })),
    ],
  };
}

function holderKey(holder: SenderKeyHolder): string {
  return `${holder.serviceId}.${holder.deviceId}.${holder.registrationId}`;
}
