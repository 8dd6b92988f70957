import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DecryptionSettings,
  DeviceId,
  EncryptionSettings,
  initAsync,
  OlmMachine,
  RequestType,
  RoomId,
  StoreHandle,
  TrustRequirement,
  UserId,
} from "@matrix-org/matrix-sdk-crypto-wasm";
import { IndexedDbMirror } from "../../../../src/bridge/crypto/indexeddb-mirror.js";
import { openDatabase } from "../../../../src/store/index.js";
import { assertNotStored, rawFiles } from "../../store/raw-files.js";
import { storePaths, tempDir } from "../../store/temp-store.js";

const STORE_KEY = new Uint8Array(32).fill(3);
const ROOM = "!room:example.org";

async function machineOn(mirror: IndexedDbMirror): Promise<OlmMachine> {
  await initAsync();
  mirror.installGlobals();
  const handle = await StoreHandle.openWithKey("bot", STORE_KEY);
  return OlmMachine.initFromStore(new UserId("@bot:example.org"), new DeviceId("BOTDEVICE"), handle);
}

test("the crypto library's account and room keys come back from the database after a restart", async (t) => {
  const paths = storePaths(tempDir(t));
  let store = await openDatabase(paths);
  const first = await IndexedDbMirror.open(store.matrixCrypto);
  const machine = await machineOn(first);
  const identity = machine.identityKeys.curve25519.toBase64();
  const upload = (await machine.outgoingRequests()).find(
    (request) => request.type === RequestType.KeysUpload,
  );
  assert.ok(upload, "a keys upload is asked for");
  const uploadedKeys = Object.keys(JSON.parse(upload.body as string).one_time_keys ?? {});
  assert.ok(uploadedKeys.length > 0, "one-time keys are generated");
  await machine.markRequestAsSent(
    upload.id!,
    RequestType.KeysUpload,
    JSON.stringify({ one_time_key_counts: { signed_curve25519: uploadedKeys.length } }),
  );
  await machine.shareRoomKey(new RoomId(ROOM), [], new EncryptionSettings());
  const encrypted = await machine.encryptRoomEvent(
    new RoomId(ROOM),
    "m.room.message",
    JSON.stringify({ body: "hi" }),
  );
  const [roomKey] = JSON.parse(await machine.exportRoomKeys(() => true)) as { session_key: string }[];
  assert.ok(roomKey, "the room key can be exported");
  // What the crypto library stores is sealed: the room key is nowhere in the database file.
  assertNotStored(rawFiles(paths.databasePath), { "room key": Buffer.from(roomKey.session_key, "base64") });
  machine.close();
  first.detach();
  await store.close();

  store = await openDatabase(paths);
  t.after(() => store.close());
  const second = await IndexedDbMirror.open(store.matrixCrypto);
  const restarted = await machineOn(second);
  assert.equal(restarted.identityKeys.curve25519.toBase64(), identity, "the same Olm account");
  const again = (await restarted.outgoingRequests()).find(
    (request) => request.type === RequestType.KeysUpload,
  );
  assert.equal(again, undefined, "published one-time keys are remembered as published");
  const event = {
    type: "m.room.encrypted",
    event_id: "$one",
    sender: "@bot:example.org",
    origin_server_ts: Date.now(),
    room_id: ROOM,
    content: JSON.parse(encrypted),
  };
  const decrypted = await restarted.decryptRoomEvent(
    JSON.stringify(event),
    new RoomId(ROOM),
    new DecryptionSettings(TrustRequirement.Untrusted),
  );
  assert.equal(JSON.parse(decrypted.event).content.body, "hi", "the room key survived");
  restarted.close();
  second.detach();
});
