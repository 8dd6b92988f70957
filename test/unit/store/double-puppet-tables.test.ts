import assert from "node:assert/strict";
import { sampleAccount } from "./sample-records.js";
import { openTempStore, storeTest } from "./temp-store.js";

const ALICE = "@alice:hs";

storeTest(
  "a login-matrix token is kept across a reopen, replaced, forgotten, and goes with the account",
  async (t, backend) => {
    const { store, reopen } = await openTempStore(t, undefined, backend);
    await (await store.signalStorage(ALICE)).commit([{ type: "account", account: sampleAccount() }]);
    const tokens = store.doublePuppets;
    assert.equal(await tokens.tokenOf(ALICE), undefined);
    await tokens.saveToken(ALICE, "first-token");
    await tokens.saveToken(ALICE, "second-token");
    await store.close();

    const reopened = await reopen();
    assert.equal(await reopened.doublePuppets.tokenOf(ALICE), "second-token");
    assert.equal(await reopened.doublePuppets.deleteToken(ALICE), true);
    assert.equal(await reopened.doublePuppets.tokenOf(ALICE), undefined);
    assert.equal(await reopened.doublePuppets.deleteToken(ALICE), false);

    await reopened.doublePuppets.saveToken(ALICE, "third-token");
    await reopened.deleteSignalAccount(ALICE);
    assert.equal(
      await reopened.doublePuppets.tokenOf(ALICE),
      undefined,
      "a Signal logout forgets the token too",
    );
    await reopened.close();
  },
);
