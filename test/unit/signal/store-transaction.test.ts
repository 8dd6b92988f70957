import assert from "node:assert/strict";
import { test } from "node:test";
import { StoreTransaction } from "../../../src/signal/protocol-stores.js";
import type { AccountRecord, SignalStorage, StorageWrite } from "../../../src/signal/storage.js";

/** Sessions by "serviceId.deviceId"; the writes of each commit. */
function fakeStorage(sessions: Record<string, string> = {}) {
  const commits: StorageWrite[][] = [];
  const storage = {
    getSession: async (_ours: string, serviceId: string, deviceId: number) => {
      const text = sessions[`${serviceId}.${deviceId}`];
      return text === undefined ? null : new TextEncoder().encode(text);
    },
    commit: async (writes: readonly StorageWrite[]) => void commits.push([...writes]),
  } as unknown as SignalStorage;
  return { storage, commits };
}

const account = {} as AccountRecord;
const session = (serviceId: string, text: string): StorageWrite => ({
  type: "session",
  ours: "aci",
  serviceId,
  deviceId: 1,
  record: new TextEncoder().encode(text),
});
const read = async (tx: StoreTransaction, serviceId: string) => {
  const record = await tx.getSession("aci", serviceId, 1);
  return record === null ? null : new TextDecoder().decode(record);
};

test("a step of a batch reads what the batch queued; its writes join the batch only when absorbed", async () => {
  const { storage, commits } = fakeStorage({ "a.1": "stored" });
  const batch = new StoreTransaction(storage, account);
  batch.write(session("a", "first step"));

  const failed = new StoreTransaction(storage, account, batch);
  assert.equal(await read(failed, "a"), "first step");
  failed.write(session("a", "failed step"));
  assert.equal(await read(failed, "a"), "failed step");
  assert.equal(await read(batch, "a"), "first step", "a step's writes are its own until absorbed");

  const next = new StoreTransaction(storage, account, batch);
  assert.equal(await read(next, "a"), "first step", "a dropped step left nothing behind");
  assert.equal(await read(next, "b"), null, "records the batch did not touch come from the storage");
  next.write(session("a", "second step"));
  batch.absorb(next);
  assert.equal(await read(batch, "a"), "second step");

  await batch.commit();
  assert.deepEqual(
    commits.map((writes) =>
      writes.map((w) => (w.type === "session" ? new TextDecoder().decode(w.record) : w.type)),
    ),
    [["second step"]],
  );
});

test("a commit makes only the last write of each record, keeping the others in their order", async () => {
  const { storage, commits } = fakeStorage();
  const tx = new StoreTransaction(storage, account);
  tx.write(session("a", "a1"));
  tx.write({ type: "event", key: "e1", payload: new Uint8Array() });
  tx.write({ type: "session-delete", ours: "aci", serviceId: "b", deviceId: 1 });
  tx.write(session("a", "a2"));
  tx.write(session("b", "b again"));
  tx.write({ type: "event-done", key: "e1" });
  tx.write({ type: "session-delete", ours: "aci", serviceId: "a", deviceId: 1 });
  await tx.commit([{ type: "event", key: "e2", payload: new Uint8Array() }]);

  const describe = (w: StorageWrite) =>
    w.type === "session"
      ? `session ${w.serviceId} ${new TextDecoder().decode(w.record)}`
      : w.type === "session-delete"
        ? `delete ${w.serviceId}`
        : `${w.type} ${"key" in w ? w.key : ""}`;
  assert.deepEqual(
    commits.map((writes) => writes.map(describe)),
    [["event e1", "session b b again", "event-done e1", "delete a", "event e2"]],
  );
});
