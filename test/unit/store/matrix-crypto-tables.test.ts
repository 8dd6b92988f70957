import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";

import { assertNotStored } from "./raw-files.js";
import { openTempStore, storeTest } from "./temp-store.js";

const body = (text: string) => Buffer.from(text, "utf8");
const empty = { cleared: [], put: [], deleted: [] };

storeTest(
  "crypto records and values survive reopening, and changes apply in one commit",
  async (t, backend) => {
    const { store, reopen } = await openTempStore(t, undefined, backend);
    const crypto = store.matrixCrypto;
    await crypto.commit("bot::crypto", {
      ...empty,
      schema: { body: body("schema v1"), stores: ["core", "sessions"] },
      put: [
        { store: "core", key: "account", body: body("the account") },
        { store: "sessions", key: "s1", body: body("session one") },
        { store: "sessions", key: "s2", body: body("session two") },
      ],
    });
    await crypto.commit("bot::crypto", {
      ...empty,
      put: [{ store: "sessions", key: "s1", body: body("session one, ratcheted") }],
      deleted: [{ store: "sessions", key: "s2" }],
    });
    await crypto.setValue("device", body("BOTDEVICE"));
    await store.close();

    const reopened = await reopen();
    const again = reopened.matrixCrypto;
    assert.deepEqual(
      (await again.databases()).map((db) => ({ name: db.name, schema: db.schema.toString() })),
      [{ name: "bot::crypto", schema: "schema v1" }],
    );
    assert.deepEqual((await again.records("bot::crypto")).map((record) => record.toString()).sort(), [
      "session one, ratcheted",
      "the account",
    ]);
    assert.equal((await again.value("device"))?.toString(), "BOTDEVICE");
    assert.equal(await again.value("missing"), undefined);
  },
);

storeTest(
  "an upgrade that drops a store drops its records; clearing a store empties it",
  async (t, backend) => {
    const { store } = await openTempStore(t, undefined, backend);
    const crypto = store.matrixCrypto;
    await crypto.commit("db", {
      ...empty,
      schema: { body: body("v1"), stores: ["a", "b"] },
      put: [
        { store: "a", key: "1", body: body("a1") },
        { store: "b", key: "1", body: body("b1") },
      ],
    });
    await crypto.commit("db", { ...empty, schema: { body: body("v2"), stores: ["a"] } });
    assert.deepEqual(
      (await crypto.records("db")).map((record) => record.toString()),
      ["a1"],
    );
    await crypto.commit("db", {
      ...empty,
      cleared: ["a"],
      put: [{ store: "a", key: "2", body: body("a2") }],
    });
    assert.deepEqual(
      (await crypto.records("db")).map((record) => record.toString()),
      ["a2"],
    );
  },
);

storeTest("removing a Signal login leaves the bot's crypto state readable", async (t, backend) => {
  const { store } = await openTempStore(t, undefined, backend);
  await store.signalStorage("@alice:example.org");
  await store.matrixCrypto.setValue("access token", body("syt_secret"));
  await store.deleteSignalAccount("@alice:example.org");
  assert.equal((await store.matrixCrypto.value("access token"))?.toString(), "syt_secret");
});

storeTest("nothing of the crypto state is in plaintext in the database file", async (t, backend) => {
  const { store, rawFiles } = await openTempStore(t, undefined, backend);
  const secrets = {
    "Olm account pickle": randomBytes(300),
    "room key": randomBytes(128),
    "access token": `syt_${randomBytes(20).toString("hex")}`,
    "database name": "signal-bridge-bot::matrix-sdk-crypto",
    "record key": "!portal-room:example.org",
  };
  await store.matrixCrypto.commit(secrets["database name"], {
    ...empty,
    schema: { body: body("schema"), stores: ["inbound_group_sessions"] },
    put: [
      { store: "inbound_group_sessions", key: secrets["record key"], body: secrets["room key"] },
      { store: "inbound_group_sessions", key: "account", body: secrets["Olm account pickle"] },
    ],
  });
  await store.matrixCrypto.setValue("access token", body(secrets["access token"]));
  assertNotStored(await rawFiles(), secrets);
  await store.close();
  assertNotStored(await rawFiles(), secrets);
});
