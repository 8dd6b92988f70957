import assert from "node:assert/strict";
import { test } from "node:test";
import type { RecipientDevice } from "../../../../src/signal/message-sender.js";
import {
  planSenderKeyDistribution,
  SENDER_KEY_MAX_AGE_MS,
  withHolders,
} from "../../../../src/signal/send/sender-key-plan.js";
import type { SenderKeyDistributionRecord } from "../../../../src/signal/storage.js";

const GROUP = "Z3JvdXA=";
const ANN = "11111111-1111-4111-8111-111111111111";
const BOB = "22222222-2222-4222-8222-222222222222";
const NOW = 1_700_000_000_000;
let counter = 0;
const newId = (): string => `dist-${++counter}`;

function devices(entries: Record<string, RecipientDevice[]>): Map<string, RecipientDevice[]> {
  return new Map(Object.entries(entries));
}

function stored(
  sharedWith: SenderKeyDistributionRecord["sharedWith"],
  createdAt = NOW,
): SenderKeyDistributionRecord {
  return { groupId: GROUP, distributionId: "current", createdAt, sharedWith };
}

test("the first group send creates a key and shares it with everyone", () => {
  const plan = planSenderKeyDistribution(
    null,
    GROUP,
    devices({ [ANN]: [{ deviceId: 1, registrationId: 10 }], [BOB]: [{ deviceId: 1, registrationId: 20 }] }),
    NOW,
    newId,
  );
  assert.equal(plan.fresh, true);
  assert.equal(plan.record.sharedWith.length, 0);
  assert.deepEqual(plan.needKey, [ANN, BOB]);
});

test("members whose devices all hold the key get nothing; a new or re-registered device gets it again", () => {
  const record = stored([
    { serviceId: ANN, deviceId: 1, registrationId: 10 },
    { serviceId: BOB, deviceId: 1, registrationId: 20 },
  ]);
  const unchanged = planSenderKeyDistribution(
    record,
    GROUP,
    devices({ [ANN]: [{ deviceId: 1, registrationId: 10 }], [BOB]: [{ deviceId: 1, registrationId: 20 }] }),
    NOW + 1000,
    newId,
  );
  assert.equal(unchanged.fresh, false);
  assert.equal(unchanged.record.distributionId, "current");
  assert.deepEqual(unchanged.needKey, []);

  const changed = planSenderKeyDistribution(
    record,
    GROUP,
    devices({
      [ANN]: [
        { deviceId: 1, registrationId: 10 },
        { deviceId: 2, registrationId: 11 },
      ],
      [BOB]: [{ deviceId: 1, registrationId: 21 }],
    }),
    NOW + 1000,
    newId,
  );
  assert.equal(changed.fresh, false, "new devices of members do not replace the key");
  assert.deepEqual(changed.needKey, [ANN, BOB]);
});

test("a holder who left, or an old key, means a new key for everyone", () => {
  const record = stored([
    { serviceId: ANN, deviceId: 1, registrationId: 10 },
    { serviceId: BOB, deviceId: 1, registrationId: 20 },
  ]);
  const left = planSenderKeyDistribution(
    record,
    GROUP,
    devices({ [ANN]: [{ deviceId: 1, registrationId: 10 }] }),
    NOW + 1000,
    newId,
  );
  assert.equal(left.fresh, true);
  assert.notEqual(left.record.distributionId, "current");
  assert.deepEqual(left.needKey, [ANN]);

  const old = planSenderKeyDistribution(
    record,
    GROUP,
    devices({ [ANN]: [{ deviceId: 1, registrationId: 10 }], [BOB]: [{ deviceId: 1, registrationId: 20 }] }),
    NOW + SENDER_KEY_MAX_AGE_MS + 1,
    newId,
  );
  assert.equal(old.fresh, true);
  assert.deepEqual(old.needKey, [ANN, BOB]);
});

test("recording holders replaces a member's earlier devices", () => {
  const record = stored([
    { serviceId: ANN, deviceId: 1, registrationId: 10 },
    { serviceId: ANN, deviceId: 3, registrationId: 30 },
    { serviceId: BOB, deviceId: 1, registrationId: 20 },
  ]);
  const updated = withHolders(record, ANN, [
    { deviceId: 1, registrationId: 10 },
    { deviceId: 2, registrationId: 12 },
  ]);
  assert.deepEqual(
    updated.sharedWith.map((h) => `${h.serviceId === ANN ? "ann" : "bob"}.${h.deviceId}.${h.registrationId}`),
    ["bob.1.20", "ann.1.10", "ann.2.12"],
  );
});
