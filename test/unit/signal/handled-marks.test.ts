import assert from "node:assert/strict";
import { test } from "node:test";

import { HandledMarks } from "../../../src/signal/handled-marks.js";
import type { StorageWrite } from "../../../src/signal/index.js";

function recordingStorage(fail?: Error) {
  const commits: string[][] = [];
  return {
    commits,
    commit: async (writes: readonly StorageWrite[]) => {
      commits.push(writes.map((write) => (write.type === "event-done" ? write.key : write.type)));
      if (fail) throw fail;
    },
  };
}

test("marks asked for in one turn share one commit; a later turn's marks get the next", async () => {
  const storage = recordingStorage();
  const marks = new HandledMarks(storage);
  const first = [marks.mark("a"), marks.mark("b"), marks.mark("c")];
  assert.deepEqual(storage.commits, [], "nothing is committed within the turn");
  await Promise.all(first);
  assert.deepEqual(storage.commits, [["a", "b", "c"]]);
  await Promise.all([marks.mark("d"), marks.mark("e")]);
  assert.deepEqual(storage.commits, [
    ["a", "b", "c"],
    ["d", "e"],
  ]);
});

test("a mark resolves only once its commit is done, and a failed commit fails every mark of it", async () => {
  const storage = recordingStorage(new Error("disk full"));
  const marks = new HandledMarks(storage);
  const results = await Promise.allSettled([marks.mark("a"), marks.mark("b")]);
  assert.deepEqual(
    results.map((result) => result.status),
    ["rejected", "rejected"],
  );
  assert.deepEqual(storage.commits, [["a", "b"]]);
});
