import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { assertNotStored } from "./raw-files.js";
import { sampleSignalState } from "./sample-records.js";
import { openTempStore, storeTest } from "./temp-store.js";

storeTest("the raw database files and WAL contain none of the account's secrets", async (t, backend) => {
  const { store, paths, rawFiles } = await openTempStore(t, undefined, backend);
  const state = sampleSignalState();
  const { account, recipient, writes } = state;
  const secrets = {
    ...state.secrets,
    "Matrix access token (login-matrix)": "syt_YWxpY2U_aXtVeryPrivateTokenValue_0c1d2e",
  };

  await (await store.signalStorage("@alice:example.org")).commit(writes);
  await store.doublePuppets.saveToken("@alice:example.org", secrets["Matrix access token (login-matrix)"]);

  // While open, SQLite's latest writes sit in its WAL (PostgreSQL's: in pg_wal and, after the
  // CHECKPOINT rawFiles() runs, in the data files too).
  const whileOpen = await rawFiles();
  if (backend === "sqlite") {
    assert.ok(
      whileOpen.some((file) => file.name.endsWith("-wal")),
      "expected a WAL file while the database is open",
    );
  }
  // The search itself works: public values of the same rows are found in plaintext.
  assert.ok(
    whileOpen.some(
      (file) => file.content.includes(account.aci) && file.content.includes(recipient.profileName!),
    ),
    "the account's public ACI and the contact's name should be stored readable",
  );
  assertNotStored(whileOpen, secrets);

  await store.close();
  const afterClose = await rawFiles();
  assert.ok(afterClose.some((file) => file.content.includes(account.aci)));
  assertNotStored(afterClose, secrets);

  // The bridge key is not in the database either; the data is useless without the key file.
  assertNotStored(afterClose, { "bridge key": readFileSync(paths.keyFilePath) });
});
