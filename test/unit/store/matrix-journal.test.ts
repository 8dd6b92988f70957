import assert from "node:assert/strict";

import type { IncomingJournalEvent } from "../../../src/store/matrix-journal.js";
import { openTempStore, storeTest } from "./temp-store.js";

const event = (key: string, roomId: string, body = key): IncomingJournalEvent => ({
  key,
  roomId,
  kind: "event",
  event: { event_id: key, room_id: roomId, content: { body } },
});

storeTest(
  "the journal keeps events once, per room in order, until handled and pruned",
  async (t, backend) => {
    let clock = 1_000;
    const { store, reopen } = await openTempStore(t, () => clock, backend);
    const journal = store.matrixJournal;
    assert.deepEqual(
      await journal.takeIn([event("$1", "!b:hs"), event("$2", "!a:hs"), event("$3", "!b:hs")]),
      {
        rooms: ["!b:hs", "!a:hs"],
        stored: 3,
      },
    );
    // Redelivered (and overlapping) transactions store only what is new.
    assert.deepEqual(await journal.takeIn([event("$3", "!b:hs", "again"), event("$4", "!a:hs")]), {
      rooms: ["!a:hs"],
      stored: 1,
    });
    assert.equal(await journal.pendingCount(), 4);
    assert.deepEqual(await journal.pendingRooms(), ["!b:hs", "!a:hs"]);

    const first = await journal.nextPending("!b:hs");
    assert.equal(first?.event.event_id, "$1");
    assert.equal(first?.receivedAt, 1_000);
    assert.equal(typeof first?.seq, "number");
    clock = 2_000;
    await journal.markHandled(first!.seq);
    const next = await journal.nextPending("!b:hs");
    assert.deepEqual(next?.event, { event_id: "$3", room_id: "!b:hs", content: { body: "$3" } });
    assert.ok(next!.seq > first!.seq);
    // The room whose oldest waiting entry is oldest comes first.
    assert.deepEqual(await journal.pendingRooms(), ["!a:hs", "!b:hs"]);

    // Waiting entries survive a restart; handled ones still deduplicate.
    await store.close();
    const reopened = await reopen();
    const again = reopened.matrixJournal;
    assert.equal(await again.pendingCount(), 3);
    assert.deepEqual(await again.takeIn([event("$1", "!b:hs")]), { rooms: [], stored: 0 });
    assert.equal((await again.nextPending("!a:hs"))?.event.event_id, "$2");

    // Pruning forgets handled entries older than the age given, and only those.
    clock = 10_000;
    await again.prune(5_000);
    assert.deepEqual(await again.takeIn([event("$1", "!b:hs")]), { rooms: ["!b:hs"], stored: 1 });
    assert.equal(await again.pendingCount(), 4);
    assert.equal(await again.nextPending("!nowhere:hs"), undefined);
  },
);
