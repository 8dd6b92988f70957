import assert from "node:assert/strict";

import type { IdentityRecord, StorageWrite } from "../../../src/signal/index.js";
import { AccountDeletedError, CorruptRecordError, KeyMismatchError } from "../../../src/store/index.js";
import { bytes, sampleAccount, sampleRecipient } from "./sample-records.js";
import { openTempStore, storeTest, tableNames } from "./temp-store.js";

const ALICE = "@alice:example.org";
const BOB = "@bob:example.org";
const CONTACT = "5d1c3b7a-9e2f-4a6b-8c0d-1e2f3a4b5c6d";
const DISTRIBUTION = "a3b1c2d4-e5f6-4789-8abc-def012345678";

storeTest("every record kind reads back as written, also after reopening", async (t, backend) => {
  const { store, reopen } = await openTempStore(t, undefined, backend);
  const account = sampleAccount();
  const recipient = sampleRecipient(CONTACT);
  const identity: IdentityRecord = {
    publicKey: bytes(33),
    verification: "verified",
    firstSeenAt: 1_700_000_000_500,
  };
  const session = bytes(400);
  const pniSession = bytes(300);
  const preKey = bytes(80);
  const signedPreKey = bytes(150);
  const kyberPreKey = bytes(2400);
  const lastResortKyber = bytes(2400);
  const baseKey = bytes(33);
  const senderKey = bytes(200);
  await (
    await store.signalStorage(ALICE)
  ).commit([
    { type: "account", account },
    { type: "identity", serviceId: CONTACT, identity },
    { type: "session", ours: "aci", serviceId: CONTACT, deviceId: 2, record: session },
    { type: "session", ours: "aci", serviceId: CONTACT, deviceId: 1, record: bytes(400) },
    { type: "session", ours: "pni", serviceId: `PNI:${CONTACT}`, deviceId: 1, record: pniSession },
    { type: "pre-key", ours: "aci", id: 101, record: preKey },
    { type: "signed-pre-key", ours: "pni", id: 7, record: signedPreKey },
    { type: "signed-pre-key", ours: "pni", id: 3, record: bytes(150) },
    { type: "kyber-pre-key", ours: "aci", id: 11, record: kyberPreKey, lastResort: false },
    { type: "kyber-pre-key", ours: "aci", id: 12, record: lastResortKyber, lastResort: true },
    { type: "kyber-base-key-used", ours: "aci", id: 12, signedPreKeyId: 7, baseKey },
    { type: "sender-key", serviceId: CONTACT, deviceId: 1, distributionId: DISTRIBUTION, record: senderKey },
    { type: "recipient", recipient },
  ]);
  await store.close();

  const reopened = await reopen();
  const s = await reopened.signalStorage(ALICE);
  assert.deepEqual(await s.getAccount(), account);
  assert.deepEqual(await s.getIdentity(CONTACT), identity);
  assert.deepEqual(await s.getSession("aci", CONTACT, 2), session);
  assert.deepEqual(await s.getSession("pni", `PNI:${CONTACT}`, 1), pniSession);
  assert.deepEqual(await s.listSessionDevices("aci", CONTACT), [1, 2]);
  assert.deepEqual(await s.getPreKey("aci", 101), preKey);
  assert.deepEqual(await s.getSignedPreKey("pni", 7), signedPreKey);
  assert.deepEqual(await s.listSignedPreKeyIds("pni"), [7, 3]);
  assert.deepEqual(await s.getKyberPreKey("aci", 11), { record: kyberPreKey, lastResort: false });
  assert.deepEqual(await s.getKyberPreKey("aci", 12), { record: lastResortKyber, lastResort: true });
  assert.deepEqual(await s.listLastResortKyberPreKeyIds("aci"), [12]);
  assert.equal(await s.isKyberBaseKeyUsed("aci", 12, 7, baseKey), true);
  assert.equal(await s.isKyberBaseKeyUsed("aci", 12, 8, baseKey), false);
  assert.equal(await s.isKyberBaseKeyUsed("aci", 12, 7, bytes(33)), false);
  assert.deepEqual(await s.getSenderKey(CONTACT, 1, DISTRIBUTION), senderKey);
  assert.deepEqual(await s.getRecipient(CONTACT), recipient);

  // The other identity and unknown keys are separate and absent.
  assert.equal(await s.getSession("pni", CONTACT, 2), null);
  assert.equal(await s.getPreKey("pni", 101), null);
  assert.equal(await s.getSignedPreKey("aci", 7), null);
  assert.equal(await s.getKyberPreKey("pni", 11), null);
  assert.equal(await s.getSenderKey(CONTACT, 2, DISTRIBUTION), null);
  assert.equal(await s.getIdentity(`PNI:${CONTACT}`), null);
  assert.equal(await s.getRecipient("00000000-0000-4000-8000-000000000000"), null);
});

storeTest("an account without linking data reads as null everywhere", async (t, backend) => {
  const { store } = await openTempStore(t, undefined, backend);
  const s = await store.signalStorage(ALICE);
  assert.equal(await s.getAccount(), null);
  assert.deepEqual(await s.listSessionDevices("aci", CONTACT), []);
  assert.deepEqual(await s.listPendingEvents(), []);
});

storeTest(
  "a recipient read again shows every write, also one committed while it was read",
  async (t, backend) => {
    const { store } = await openTempStore(t, undefined, backend);
    const s = await store.signalStorage(ALICE);
    await s.commit([{ type: "account", account: sampleAccount() }]);
    assert.equal(await s.getRecipient(CONTACT), null, "not known yet");
    const first = sampleRecipient(CONTACT);
    await s.commit([{ type: "recipient", recipient: first }]);
    assert.deepEqual(await s.getRecipient(CONTACT), first, "known once written");
    assert.deepEqual(await s.getRecipient(CONTACT), first, "read twice, the same");

    const renamed = { ...first, profileName: "Alice B.", profileKey: null };
    // The read starts once the write has dropped the cached record, and ends after the commit.
    const [, during] = await Promise.all([
      s.commit([{ type: "recipient", recipient: renamed }]),
      s.getRecipient(CONTACT),
    ]);
    assert.ok(during !== null, "a read during the write sees the old or the new record");
    assert.deepEqual(await s.getRecipient(CONTACT), renamed, "after the write, the new record");
    await assert.rejects(async () => {
      (await s.getRecipient(CONTACT))!.profileName = "changed by a caller";
    }, TypeError);
    assert.deepEqual(await s.getRecipient(CONTACT), renamed, "a record read cannot be changed in place");
  },
);

storeTest("writes replace and delete records", async (t, backend) => {
  const { store } = await openTempStore(t, undefined, backend);
  const s = await store.signalStorage(ALICE);
  const account = sampleAccount();
  const newer = bytes(400);
  await s.commit([
    { type: "account", account },
    { type: "session", ours: "aci", serviceId: CONTACT, deviceId: 1, record: bytes(400) },
    { type: "pre-key", ours: "aci", id: 5, record: bytes(80) },
    { type: "signed-pre-key", ours: "aci", id: 6, record: bytes(150) },
    { type: "kyber-pre-key", ours: "aci", id: 7, record: bytes(2400), lastResort: true },
    { type: "kyber-base-key-used", ours: "aci", id: 7, signedPreKeyId: 6, baseKey: bytes(33) },
    { type: "recipient", recipient: sampleRecipient(CONTACT) },
  ]);
  const renamed = { ...sampleRecipient(CONTACT), profileKey: null, profileName: "Alice B." };
  const rotated = { ...account, signedPreKeyRotatedAt: 1_800_000_000_000, number: null, profileKey: null };
  await s.commit([
    { type: "account", account: rotated },
    { type: "session", ours: "aci", serviceId: CONTACT, deviceId: 1, record: newer },
    { type: "pre-key-delete", ours: "aci", id: 5 },
    { type: "signed-pre-key-delete", ours: "aci", id: 6 },
    { type: "kyber-pre-key-delete", ours: "aci", id: 7 },
    { type: "recipient", recipient: renamed },
  ]);

  assert.deepEqual(await s.getAccount(), rotated);
  assert.deepEqual(await s.getSession("aci", CONTACT, 1), newer);
  assert.equal(await s.getPreKey("aci", 5), null);
  assert.equal(await s.getSignedPreKey("aci", 6), null);
  assert.equal(await s.getKyberPreKey("aci", 7), null);
  assert.deepEqual(await s.listLastResortKyberPreKeyIds("aci"), []);
  assert.deepEqual(await s.getRecipient(CONTACT), renamed);

  await s.commit([
    { type: "session-delete", ours: "aci", serviceId: CONTACT, deviceId: 1 },
    { type: "session-delete", ours: "aci", serviceId: CONTACT, deviceId: 9 },
  ]);
  assert.equal(await s.getSession("aci", CONTACT, 1), null);
});

storeTest(
  "signed and last-resort Kyber key ids list oldest first, across id wrap-around",
  async (t, backend) => {
    const { store, reopen, raw } = await openTempStore(t, undefined, backend);
    const s = await store.signalStorage(ALICE);
    const maxId = 0xffffff;
    await s.commit([
      { type: "signed-pre-key", ours: "aci", id: maxId, record: bytes(150) },
      { type: "kyber-pre-key", ours: "aci", id: maxId, record: bytes(2400), lastResort: true },
    ]);
    await s.commit([
      { type: "signed-pre-key", ours: "aci", id: 1, record: bytes(150) },
      { type: "kyber-pre-key", ours: "aci", id: 2, record: bytes(2400), lastResort: false },
      { type: "kyber-pre-key", ours: "aci", id: 1, record: bytes(2400), lastResort: true },
    ]);
    assert.deepEqual(await s.listSignedPreKeyIds("aci"), [maxId, 1]);
    assert.deepEqual(await s.listLastResortKyberPreKeyIds("aci"), [maxId, 1]);

    // A key written again under an old id is a new key.
    await s.commit([{ type: "signed-pre-key", ours: "aci", id: maxId, record: bytes(150) }]);
    assert.deepEqual(await s.listSignedPreKeyIds("aci"), [1, maxId]);

    // The order survives VACUUM, which may renumber implicit rowids.
    await store.close();
    const db = await raw();
    // VACUUM FULL rewrites every PostgreSQL table, moving its rows.
    await db.exec(backend === "sqlite" ? "VACUUM" : "VACUUM FULL");
    await db.close();
    const reopened = await reopen();
    assert.deepEqual(await (await reopened.signalStorage(ALICE)).listSignedPreKeyIds("aci"), [1, maxId]);
    assert.deepEqual(await (await reopened.signalStorage(ALICE)).listLastResortKyberPreKeyIds("aci"), [
      maxId,
      1,
    ]);
  },
);

storeTest("a batch with a failing write leaves nothing of the batch behind", async (t, backend) => {
  const { store } = await openTempStore(t, undefined, backend);
  const s = await store.signalStorage(ALICE);
  const before = bytes(400);
  await s.commit([{ type: "session", ours: "aci", serviceId: CONTACT, deviceId: 1, record: before }]);

  const failing: StorageWrite[] = [
    { type: "session", ours: "aci", serviceId: CONTACT, deviceId: 1, record: bytes(400) },
    { type: "pre-key-delete", ours: "aci", id: 1 },
    { type: "event", key: "envelope-1", payload: bytes(100) },
    // Violates the CHECK on `ours`, as a disk error or a bug in a later write would fail.
    { type: "pre-key", ours: "bogus" as "aci", id: 2, record: bytes(80) },
  ];
  await assert.rejects(s.commit(failing), /CHECK constraint failed|violates check constraint/);

  assert.deepEqual(await s.getSession("aci", CONTACT, 1), before);
  assert.equal(await s.getEvent("envelope-1"), null);
  assert.deepEqual(await s.listPendingEvents(), []);

  // The same writes without the broken one commit fine afterwards.
  await s.commit(failing.slice(0, 3));
  assert.notEqual(await s.getEvent("envelope-1"), null);
});

storeTest(
  "buffered events replay in insertion order, done ones drop out, duplicates are ignored",
  async (t, backend) => {
    let clock = 1_700_000_000_000;
    const { store, reopen } = await openTempStore(t, () => clock, backend);
    const s = await store.signalStorage(ALICE);
    const first = bytes(64);
    const second = bytes(64);
    const third = bytes(64);
    await s.commit([{ type: "event", key: "guid-b", payload: first }]);
    await s.commit([
      { type: "event", key: "guid-a", payload: second },
      { type: "event", key: "guid-c", payload: third },
    ]);
    // A redelivered envelope already buffered keeps its first content.
    await s.commit([{ type: "event", key: "guid-b", payload: bytes(64) }]);

    assert.deepEqual(await s.listPendingEvents(), [
      { key: "guid-b", payload: first, state: "pending" },
      { key: "guid-a", payload: second, state: "pending" },
      { key: "guid-c", payload: third, state: "pending" },
    ]);

    await s.commit([{ type: "event-done", key: "guid-a" }]);
    assert.deepEqual(
      (await s.listPendingEvents()).map((e) => e.key),
      ["guid-b", "guid-c"],
    );
    const done = await s.getEvent("guid-a");
    assert.equal(done?.state, "done");
    // Marking done again, or an unknown key, changes nothing.
    await s.commit([
      { type: "event-done", key: "guid-a" },
      { type: "event-done", key: "guid-unknown" },
    ]);
    // A done event is still recognised when its envelope comes again, and is not revived.
    await s.commit([{ type: "event", key: "guid-a", payload: bytes(64) }]);
    assert.equal((await s.getEvent("guid-a"))?.state, "done");

    // Events of another account are separate.
    const other = await store.signalStorage(BOB);
    await other.commit([{ type: "event", key: "guid-b", payload: bytes(64) }]);
    assert.equal((await s.listPendingEvents()).length, 2);

    // Pending events survive a restart in the same order.
    await store.close();
    const reopened = await reopen(() => clock);
    assert.deepEqual(
      (await (await reopened.signalStorage(ALICE)).listPendingEvents()).map((e) => [e.key, e.payload]),
      [
        ["guid-b", first],
        ["guid-c", third],
      ],
    );

    // Done keys are forgotten only long after (two weeks), when the server cannot redeliver.
    clock += 15 * 24 * 60 * 60 * 1000;
    await (await reopened.signalStorage(ALICE)).commit([{ type: "event-done", key: "guid-b" }]);
    assert.equal(await (await reopened.signalStorage(ALICE)).getEvent("guid-a"), null);
    assert.equal((await (await reopened.signalStorage(ALICE)).getEvent("guid-b"))?.state, "done");
  },
);

storeTest(
  "deleting an account removes all its Signal rows and leaves other accounts alone",
  async (t, backend) => {
    const { store, raw } = await openTempStore(t, undefined, backend);
    const everything = (): StorageWrite[] => [
      { type: "account", account: sampleAccount() },
      {
        type: "identity",
        serviceId: CONTACT,
        identity: { publicKey: bytes(33), verification: "default", firstSeenAt: 1 },
      },
      { type: "session", ours: "aci", serviceId: CONTACT, deviceId: 1, record: bytes(400) },
      { type: "pre-key", ours: "aci", id: 1, record: bytes(80) },
      { type: "signed-pre-key", ours: "aci", id: 1, record: bytes(150) },
      { type: "kyber-pre-key", ours: "aci", id: 1, record: bytes(2400), lastResort: true },
      { type: "kyber-base-key-used", ours: "aci", id: 1, signedPreKeyId: 1, baseKey: bytes(33) },
      {
        type: "sender-key",
        serviceId: CONTACT,
        deviceId: 1,
        distributionId: DISTRIBUTION,
        record: bytes(200),
      },
      {
        type: "sender-key-distribution",
        record: {
          groupId: "Z3JvdXA=",
          distributionId: DISTRIBUTION,
          createdAt: 1,
          sharedWith: [{ serviceId: CONTACT, deviceId: 1, registrationId: 7 }],
        },
      },
      { type: "recipient", recipient: sampleRecipient(CONTACT) },
      { type: "group", groupId: "Z3JvdXA=", record: bytes(300) },
      { type: "event", key: "guid-1", payload: bytes(64) },
    ];
    const alice = await store.signalStorage(ALICE);
    await alice.commit(everything());
    await (await store.signalStorage(BOB)).commit(everything());

    await store.deleteSignalAccount(ALICE);

    assert.deepEqual(await store.listSignalAccounts(), [BOB]);
    const db = await raw();
    const tables = await tableNames(db, "signal_");
    assert.ok(tables.length >= 12, `the signal_ tables: ${tables.join(", ")}`);
    for (const table of tables) {
      const count = async (name: string) =>
        (await db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE account_id = ?`, [name]))!.n;
      assert.equal(await count(ALICE), 0, `${table} still holds rows of the deleted account`);
      assert.ok((await count(BOB)) > 0, `${table} lost rows of the other account`);
    }
    // A client still holding the deleted account's storage cannot write it back.
    await assert.rejects(
      alice.commit([{ type: "session", ours: "aci", serviceId: CONTACT, deviceId: 1, record: bytes(400) }]),
      AccountDeletedError,
    );
    // Linking again starts from nothing.
    assert.equal(await (await store.signalStorage(ALICE)).getAccount(), null);
  },
);

storeTest("an encrypted value moved to another row or account does not decrypt", async (t, backend) => {
  const { store, raw } = await openTempStore(t, undefined, backend);
  const alice = await store.signalStorage(ALICE);
  const bob = await store.signalStorage(BOB);
  await alice.commit([
    { type: "session", ours: "aci", serviceId: CONTACT, deviceId: 1, record: bytes(400) },
    { type: "session", ours: "aci", serviceId: CONTACT, deviceId: 2, record: bytes(400) },
  ]);
  await bob.commit([{ type: "session", ours: "aci", serviceId: CONTACT, deviceId: 3, record: bytes(400) }]);

  const db = await raw();
  await db.run(
    `UPDATE signal_sessions SET record_sealed =
       (SELECT record_sealed FROM signal_sessions WHERE account_id = ? AND device_id = 1)
     WHERE account_id = ? AND device_id IN (2, 3)`,
    [ALICE, ALICE],
  );
  await db.run(
    `UPDATE signal_sessions SET record_sealed =
       (SELECT record_sealed FROM signal_sessions WHERE account_id = ? AND device_id = 1)
     WHERE account_id = ?`,
    [ALICE, BOB],
  );

  await assert.rejects(alice.getSession("aci", CONTACT, 2), CorruptRecordError);
  await assert.rejects(bob.getSession("aci", CONTACT, 3), CorruptRecordError);
  assert.ok(await alice.getSession("aci", CONTACT, 1));
});

storeTest("an account's wrapped data key copied to another account is refused", async (t, backend) => {
  const { store, reopen, raw } = await openTempStore(t, undefined, backend);
  await (await store.signalStorage(ALICE)).commit([{ type: "account", account: sampleAccount() }]);
  await (await store.signalStorage(BOB)).commit([{ type: "account", account: sampleAccount() }]);
  await store.close();

  const db = await raw();
  await db.run(
    `UPDATE signal_accounts SET data_key_wrapped =
       (SELECT data_key_wrapped FROM signal_accounts WHERE account_id = ?)
     WHERE account_id = ?`,
    [ALICE, BOB],
  );
  await db.close();

  const reopened = await reopen();
  assert.ok(await (await reopened.signalStorage(ALICE)).getAccount());
  await assert.rejects(
    () => reopened.signalStorage(BOB),
    (error: unknown) =>
      error instanceof KeyMismatchError && error.message.includes(`data key of account ${BOB}`),
  );
});

storeTest("commits of several accounts and of one account at once all apply", async (t, backend) => {
  const { store } = await openTempStore(t, undefined, backend);
  const accounts = ["@a:hs", "@b:hs", "@c:hs", "@d:hs"];
  // First use of each account at once (each creates its account row and data key).
  const storages = await Promise.all(accounts.map((account) => store.signalStorage(account)));
  await Promise.all(
    storages.flatMap((s) =>
      Array.from({ length: 6 }, (_, i) =>
        s.commit([
          { type: "session", ours: "aci", serviceId: CONTACT, deviceId: i + 1, record: bytes(400) },
          { type: "event", key: `guid-${i}`, payload: bytes(64) },
        ]),
      ),
    ),
  );
  for (const s of storages) {
    assert.deepEqual(await s.listSessionDevices("aci", CONTACT), [1, 2, 3, 4, 5, 6]);
    assert.equal((await s.listPendingEvents()).length, 6);
  }
  assert.equal(await store.pendingSignalEventCount(), 24);
  assert.deepEqual([...(await store.listSignalAccounts())].sort(), accounts);
});

storeTest(
  "a contact's names with NUL characters are stored (as U+FFFD) rather than failing the commit",
  async (t, backend) => {
    // PostgreSQL's text cannot hold U+0000, and a Signal profile name is whatever its owner set.
    const { store } = await openTempStore(t, undefined, backend);
    const s = await store.signalStorage(ALICE);
    const recipient = { ...sampleRecipient(CONTACT), profileName: "Eve\u0000 ", contactName: "\u0000" };
    await s.commit([
      { type: "recipient", recipient },
      { type: "event", key: "guid-\u0000", payload: bytes(64) },
    ]);
    assert.deepEqual(await s.getRecipient(CONTACT), {
      ...recipient,
      profileName: "Eve\uFFFD ",
      contactName: "\uFFFD",
    });
    // Keys are mapped the same way when written and when looked up.
    assert.equal((await s.getEvent("guid-\u0000"))?.state, "pending");
  },
);
