// Secrets at rest on PostgreSQL: everything the store writes on a server's disk, read raw as an
// attacker copying the whole data directory (every database, global/, pg_wal/, pg_xact/ ...) and
// the server's log would get it, holds none of the Signal secrets in any encoding. Checked with
// the data forced to the files (CHECKPOINT) while the server runs, and again after a clean
// shutdown (which writes everything once more).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";

import { IdentityKeyPair } from "@signalapp/libsignal-client";
import pg from "pg";

import { saveGroup, groupIdOf, type SignalGroup, type StorageWrite } from "../../../src/signal/index.js";
import { assertNotStored, type RawFile } from "./raw-files.js";
import { bytes, SAMPLE_CONTACT, sampleSignalState } from "./sample-records.js";
import { openTempStore, postgresServer } from "./temp-store.js";

const ALICE = "@alice:example.org";
const MEMBER = "7c9d1e2f-3a4b-4c5d-8e6f-708192a3b4c5";
const GHOST_NAME = "Bobby Tables (Signal), stored in clear";

/** Every file under `dir`, read raw; files that vanish meanwhile (recycled WAL) are skipped. */
function everyFile(dir: string): RawFile[] {
  const files: RawFile[] = [];
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const path = join(dir, name);
    try {
      if (statSync(path).isFile()) files.push({ name: path, content: readFileSync(path) });
    } catch {
      // gone meanwhile
    }
  }
  return files;
}

test("the whole PostgreSQL data directory and log, read raw, hold none of the Signal secrets", async (t) => {
  const { store, paths, uri } = await openTempStore(t, undefined, "postgres");
  const server = await postgresServer();
  const state = sampleSignalState();
  const { account } = state;
  const groupMasterKey = bytes(32);
  const group: SignalGroup = {
    masterKey: groupMasterKey,
    id: new Uint8Array(Buffer.from(groupIdOf(groupMasterKey), "base64")),
    revision: 3,
    title: "The secret society of oak tree admirers",
    description: "",
    avatarKey: null,
    disappearingTimerSeconds: 0,
    members: [{ aci: MEMBER, role: "admin", profileKey: bytes(32), joinedAtRevision: 0 }],
    pendingMembers: [],
    requestingMembers: [],
    bannedMembers: [],
    access: { attributes: "members", members: "members", addFromInviteLink: "nobody" },
    announcementsOnly: false,
    inviteLinkPassword: bytes(16),
    terminated: false,
  };
  const secrets = {
    ...state.secrets,
    "ACI identity private key": IdentityKeyPair.deserialize(
      new Uint8Array(account.aciIdentityKeyPair),
    ).privateKey.serialize(),
    "PNI identity private key": IdentityKeyPair.deserialize(
      new Uint8Array(account.pniIdentityKeyPair),
    ).privateKey.serialize(),
    "group master key": group.masterKey,
    "group member's profile key": group.members[0]!.profileKey!,
    "group link password": group.inviteLinkPassword!,
    "group title": group.title,
    "member holding our sender key": MEMBER,
    "history import message": "the phone's history: a sentence nobody else should read",
    "Matrix access token (login-matrix)": "syt_YWxpY2U_aXtVeryPrivateTokenValue_0c1d2e",
    "bot's Olm account pickle": bytes(300),
    "bot's room key": bytes(128),
    "bot's access token": "syt_Ym90_botTokenNobodyMayRead_9f8e7d",
  };
  const writes: StorageWrite[] = [
    ...state.writes,
    {
      type: "sender-key-distribution",
      record: {
        groupId: groupIdOf(group.masterKey),
        distributionId: "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f",
        createdAt: 1_700_000_000_000,
        sharedWith: [{ serviceId: MEMBER, deviceId: 1, registrationId: 1234 }],
      },
    },
  ];

  const storage = await store.signalStorage(ALICE);
  await storage.commit(writes);
  await saveGroup(storage, group);
  await store.doublePuppets.saveToken(ALICE, secrets["Matrix access token (login-matrix)"]);
  await store.history.begin(ALICE);
  await store.history.plan(ALICE, [
    { portalKey: "group:club", contents: new TextEncoder().encode(secrets["history import message"]) },
  ]);
  await store.matrixCrypto.commit("signal-bridge-bot::matrix-sdk-crypto", {
    schema: { body: Buffer.from("schema"), stores: ["core", "inbound_group_sessions"] },
    cleared: [],
    put: [
      { store: "core", key: "account", body: Buffer.from(secrets["bot's Olm account pickle"]) },
      {
        store: "inbound_group_sessions",
        key: "!room:example.org",
        body: Buffer.from(secrets["bot's room key"]),
      },
    ],
    deleted: [],
  });
  await store.matrixCrypto.setValue("access token", Buffer.from(secrets["bot's access token"]));
  // A control value the store keeps in clear: the scan must find it, or it is not looking.
  await store.bridge.saveGhost({
    aci: SAMPLE_CONTACT,
    displayName: GHOST_NAME,
    avatarUrl: undefined,
    avatarHash: undefined,
  });

  // The server's directory: the data directory and, beside it, the server's log.
  const scan = () => everyFile(dirname(server.dataDirectory));
  const assertScanWorks = (files: RawFile[]) => {
    assert.ok(
      files.some((file) => file.name.includes("pg_wal")) &&
        files.some((file) => file.name === server.logFile),
      "the scan reads the WAL and the server's log",
    );
    assert.throws(
      () => assertNotStored(files, { "a value stored in clear": GHOST_NAME }),
      /a value stored in clear found in plaintext/,
      "the ghost's display name (stored in clear) is found: the scan reads the right bytes",
    );
    assert.throws(() => assertNotStored(files, { "the account's ACI": account.aci }), /found in plaintext/);
  };

  // While the server runs, with everything committed forced to the data files.
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  await client.query("CHECKPOINT");
  await client.end();
  const whileRunning = scan();
  assertScanWorks(whileRunning);
  assertNotStored(whileRunning, secrets);

  // After the store is closed and the server shut down cleanly (its shutdown checkpoint).
  await store.close();
  await server.shutdown();
  const afterShutdown = scan();
  assertScanWorks(afterShutdown);
  assertNotStored(afterShutdown, secrets);
  // Nor is the bridge key, without which the data is useless.
  assertNotStored(afterShutdown, { "bridge key": readFileSync(paths.keyFilePath) });
});
