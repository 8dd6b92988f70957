import assert from "node:assert/strict";
import { test } from "node:test";
import { saveStorageContacts } from "../../../../src/signal/storage-service/storage-contacts.js";
import type { StorageContact } from "../../../../src/signal/storage-service/storage-records.js";
import { sampleRecipient } from "../../store/sample-records.js";
import { openTempStore } from "../../store/temp-store.js";

const KNOWN = "5d1c3b7a-9e2f-4a6b-8c0d-1e2f3a4b5c6d";
const NEW = "0a1b2c3d-4e5f-4a6b-9c0d-1e2f3a4b5c6d";

function contact(fields: Partial<StorageContact>): StorageContact {
  return {
    aci: null,
    pni: null,
    e164: null,
    profileKey: null,
    profileGivenName: null,
    profileFamilyName: null,
    systemGivenName: null,
    systemFamilyName: null,
    systemNickname: null,
    nicknameGivenName: null,
    nicknameFamilyName: null,
    username: null,
    blocked: false,
    whitelisted: true,
    archived: false,
    hidden: false,
    mutedUntil: 0,
    ...fields,
  };
}

test("storage contacts become recipients named as the user named them, keeping what they leave out", async (t) => {
  const { store } = await openTempStore(t);
  const storage = await store.signalStorage("@alice:x");
  const known = sampleRecipient(KNOWN);
  await storage.commit([{ type: "recipient", recipient: known }]);

  const changed = await saveStorageContacts(storage, [
    contact({ aci: KNOWN, systemGivenName: "Ada", systemFamilyName: "L." }),
    contact({ aci: NEW, e164: "+15550001111", nicknameGivenName: "Bibi", systemGivenName: "Beatrice" }),
    contact({ e164: "+15550002222", systemGivenName: "Number only" }),
  ]);

  assert.deepEqual(changed.sort(), [NEW, KNOWN].sort());
  assert.deepEqual(await storage.getRecipient(KNOWN), { ...known, contactName: "Ada L." });
  const added = await storage.getRecipient(NEW);
  assert.equal(added?.contactName, "Bibi", "a Signal nickname wins over the address book");
  assert.equal(added?.number, "+15550001111");
  assert.equal((await storage.listRecipients()).length, 2, "a contact without ACI is not stored");

  assert.deepEqual(
    await saveStorageContacts(storage, [
      contact({ aci: KNOWN, systemGivenName: "Ada", systemFamilyName: "L." }),
    ]),
    [],
    "nothing changes when the snapshot says the same again",
  );
});
