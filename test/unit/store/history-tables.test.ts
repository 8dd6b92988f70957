import assert from "node:assert/strict";
import { assertNotStored } from "./raw-files.js";
import { sampleAccount } from "./sample-records.js";
import { type Backend, openTempStore, storeTest } from "./temp-store.js";

const ALICE = "@alice:hs";
const contents = (text: string) => new TextEncoder().encode(text);

async function withAccount(t: Parameters<typeof openTempStore>[0], backend: Backend, now?: () => number) {
  const opened = openTempStore(t, now, backend);
  await (
    await (await opened).store.signalStorage(ALICE)
  ).commit([{ type: "account", account: sampleAccount() }]);
  return opened;
}

storeTest(
  "an import waits, takes its chats in order, keeps their progress and survives a reopen",
  async (t, backend) => {
    const { store, reopen } = await withAccount(t, backend, () => 1_000);
    const history = store.history;
    assert.equal(await history.importOf(ALICE), undefined);
    await history.begin(ALICE);
    assert.deepEqual(await history.importOf(ALICE), {
      accountId: ALICE,
      state: "waiting",
      archive: undefined,
      startedAt: 1_000,
      outcome: undefined,
    });
    assert.deepEqual(await history.unfinished(), [ALICE]);
    await history.setArchive(ALICE, { cdn: 3, key: "archive-key" });
    await history.plan(ALICE, [
      { portalKey: "direct:@alice:hs:friend", contents: contents("the friend's chat") },
      { portalKey: "group:club", contents: contents("the club's chat") },
    ]);
    await history.setCutoff(ALICE, 0, 77);
    await history.setNextItem(ALICE, 0, 3);
    await history.setChatState(ALICE, 1, "failed");
    await store.close();

    const reopened = await reopen();
    const again = reopened.history;
    assert.equal((await again.importOf(ALICE))?.state, "importing");
    assert.deepEqual((await again.importOf(ALICE))?.archive, { cdn: 3, key: "archive-key" });
    assert.deepEqual(await again.chats(ALICE), [
      { position: 0, portalKey: "direct:@alice:hs:friend", state: "pending", nextItem: 3, cutoff: 77 },
      { position: 1, portalKey: "group:club", state: "failed", nextItem: 0, cutoff: undefined },
    ]);
    assert.equal((await again.chatOfPortal(ALICE, "group:club"))?.position, 1);
    assert.equal(await again.chatOfPortal(ALICE, "group:other"), undefined);
    assert.equal(new TextDecoder().decode(await again.chatContents(ALICE, 1)), "the club's chat");

    await again.finish(ALICE, "Your history is in.");
    assert.equal((await again.importOf(ALICE))?.state, "done");
    assert.equal((await again.importOf(ALICE))?.outcome, "Your history is in.");
    assert.deepEqual(await again.chats(ALICE), [], "the messages are not kept once shown");
    assert.deepEqual(await again.unfinished(), []);
  },
);

storeTest("the messages of an import are sealed in the database file", async (t, backend) => {
  const { store, rawFiles } = await withAccount(t, backend);
  const secret = "a message nobody but Alice should read";
  await store.history.begin(ALICE);
  await store.history.plan(ALICE, [{ portalKey: "group:club", contents: contents(secret) }]);
  await store.close();
  assertNotStored(await rawFiles(), { "history message": secret });
});

storeTest("logging out (deleting the account) deletes its import", async (t, backend) => {
  const { store } = await withAccount(t, backend);
  await store.history.begin(ALICE);
  await store.history.plan(ALICE, [{ portalKey: "group:club", contents: contents("x") }]);
  await store.deleteSignalAccount(ALICE);
  assert.equal(await store.history.importOf(ALICE), undefined);
  assert.deepEqual(await store.history.chats(ALICE), []);
});
