import assert from "node:assert/strict";

import {
  groupIdOf,
  loadGroup,
  saveGroup,
  saveMemberProfileKeys,
  type SignalGroup,
} from "../../../src/signal/index.js";
import { assertNotStored } from "./raw-files.js";
import { bytes, sampleAccount } from "./sample-records.js";
import { openTempStore, storeTest } from "./temp-store.js";

const ALICE = "@alice:example.org";
const ADMIN = "7c9d1e2f-3a4b-4c5d-8e6f-708192a3b4c5";
const MEMBER = "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901";

function sampleGroup(): SignalGroup {
  const masterKey = bytes(32);
  return {
    masterKey,
    id: new Uint8Array(Buffer.from(groupIdOf(masterKey), "base64")),
    revision: 7,
    title: "Hiking club",
    description: "Sundays, weather permitting",
    avatarKey: "groups/avatar-key",
    disappearingTimerSeconds: 3600,
    members: [
      { aci: ADMIN, role: "admin", profileKey: bytes(32), joinedAtRevision: 0 },
      { aci: MEMBER, role: "member", profileKey: null, joinedAtRevision: 5 },
    ],
    pendingMembers: [
      {
        serviceId: "PNI:11111111-2222-4333-8444-555555555555",
        role: "member",
        addedByAci: ADMIN,
        timestamp: 1,
      },
    ],
    requestingMembers: [],
    bannedMembers: [],
    access: { attributes: "members", members: "admins", addFromInviteLink: "nobody" },
    announcementsOnly: false,
    inviteLinkPassword: bytes(16),
    terminated: false,
  };
}

storeTest(
  "a saved group reads back whole after a restart, and its members' profile keys become known",
  async (t, backend) => {
    const { store, reopen } = await openTempStore(t, undefined, backend);
    const storage = await store.signalStorage(ALICE);
    await storage.commit([{ type: "account", account: sampleAccount() }]);
    const group = sampleGroup();
    const groupId = groupIdOf(group.masterKey);
    assert.equal(await loadGroup(storage, groupId), null, "nothing before the group is saved");

    await saveGroup(storage, group);
    await saveMemberProfileKeys(storage, group);
    await store.close();

    const reopened = await reopen();
    const again = await reopened.signalStorage(ALICE);
    assert.deepEqual(await loadGroup(again, groupId), group);
    assert.deepEqual((await again.getRecipient(ADMIN))?.profileKey, group.members[0]?.profileKey);
    assert.equal(await again.getRecipient(MEMBER), null, "a member without a profile key adds nothing");

    const renamed = { ...group, revision: 8, title: "Hiking & climbing" };
    await saveGroup(again, renamed);
    assert.deepEqual(await loadGroup(again, groupId), renamed, "a newer state replaces the older one");
    assert.equal(await loadGroup(await reopened.signalStorage("@bob:example.org"), groupId), null);
  },
);

storeTest(
  "the raw database file and WAL hold no group master key, member profile key or group link secret",
  async (t, backend) => {
    const { store, rawFiles } = await openTempStore(t, undefined, backend);
    const storage = await store.signalStorage(ALICE);
    await storage.commit([{ type: "account", account: sampleAccount() }]);
    const group = sampleGroup();
    await saveGroup(storage, group);

    const secrets = {
      "group master key": group.masterKey,
      "member profile key": group.members[0]!.profileKey!,
      "group link password": group.inviteLinkPassword!,
      // The whole record is sealed, so even what is not secret on its own is unreadable.
      "group title": group.title,
    };
    const whileOpen = await rawFiles();
    // The search itself works: the public group identifier is stored readable as the row key.
    assert.ok(
      whileOpen.some((file) => file.content.includes(groupIdOf(group.masterKey))),
      "the public group identifier should be stored readable",
    );
    assertNotStored(whileOpen, secrets);
    await store.close();
    assertNotStored(await rawFiles(), secrets);
  },
);
