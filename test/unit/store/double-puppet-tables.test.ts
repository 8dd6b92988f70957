import assert from "node:assert/strict";
import { test } from "node:test";
import { openDatabase } from "../../../src/store/index.js";
import { sampleAccount } from "./sample-records.js";
import { openTempStore } from "./temp-store.js";

const ALICE = "@alice:hs";

test("a login-matrix token is kept across a reopen, replaced, forgotten, and goes with the account", async (t) => {
  const { store, paths } = openTempStore(t);
  await store.signalStorage(ALICE).commit([{ type: "account", account: sampleAccount() }]);
  const tokens = store.doublePuppets;
  assert.equal(tokens.tokenOf(ALICE), undefined);
  tokens.saveToken(ALICE, "first-token");
  tokens.saveToken(ALICE, "second-token");
  store.close();

  const reopened = openDatabase(paths);
  assert.equal(reopened.doublePuppets.tokenOf(ALICE), "second-token");
  assert.equal(reopened.doublePuppets.deleteToken(ALICE), true);
  assert.equal(reopened.doublePuppets.tokenOf(ALICE), undefined);
  assert.equal(reopened.doublePuppets.deleteToken(ALICE), false);

  reopened.doublePuppets.saveToken(ALICE, "third-token");
  reopened.deleteSignalAccount(ALICE);
  assert.equal(reopened.doublePuppets.tokenOf(ALICE), undefined, "a Signal logout forgets the token too");
  reopened.close();
});
