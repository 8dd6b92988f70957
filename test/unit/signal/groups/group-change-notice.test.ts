import assert from "node:assert/strict";
import { test } from "node:test";
import { signalGroupChangeToMatrix, type GroupChange } from "../../../../src/convert/index.js";
import { applyGroupChange } from "../../../../src/signal/groups/group-change-apply.js";
import type { DecryptedGroupChange } from "../../../../src/signal/groups/group-change.js";
import { groupChangeNotice } from "../../../../src/signal/groups/group-change-notice.js";
import type { SignalGroup } from "../../../../src/signal/groups/group-model.js";
import { ALICE, BOB, signalContext } from "../../convert/fake-context.js";

const CAROL = "0e7c5a8b-3333-4a4a-8b8b-000000000003";
const CAROL_PNI = "PNI:0e7c5a8b-4444-4a4a-8b8b-000000000004";

const group: SignalGroup = {
  masterKey: new Uint8Array(32),
  id: new Uint8Array(32),
  revision: 4,
  title: "Hikers",
  description: "",
  avatarKey: null,
  disappearingTimerSeconds: 0,
  members: [
    { aci: ALICE, role: "admin", profileKey: null, joinedAtRevision: 0 },
    { aci: BOB, role: "member", profileKey: null, joinedAtRevision: 0 },
  ],
  pendingMembers: [{ serviceId: CAROL_PNI, role: "member", addedByAci: ALICE, timestamp: 1 }],
  requestingMembers: [],
  bannedMembers: [],
  access: { attributes: "members", members: "members", addFromInviteLink: "nobody" },
  announcementsOnly: false,
  inviteLinkPassword: null,
  terminated: false,
};

const change: DecryptedGroupChange = {
  editorServiceId: ALICE,
  revision: 5,
  edits: [
    { kind: "title", title: "Climbers" },
    { kind: "role", aci: BOB, role: "admin" },
    { kind: "profile-key", aci: BOB, profileKey: new Uint8Array(32).fill(1) },
    { kind: "access-invite-link", access: "admins" },
    { kind: "access-members", access: "unknown" },
    { kind: "invite-link-password", password: new Uint8Array(16).fill(2) },
    { kind: "avatar", avatarKey: null },
  ],
};

test("a decrypted change becomes the notice input convert/ expects, leaving out what users need not see", async () => {
  // Typed as convert's own input: this line stops compiling if the two shapes drift apart.
  const notice: GroupChange = groupChangeNotice(change);
  assert.deepEqual(notice, {
    editorAci: ALICE,
    actions: [
      { kind: "title", title: "Climbers" },
      { kind: "role", aci: BOB, admin: true },
      { kind: "access-invite-link", access: "admins" },
      { kind: "invite-link-reset" },
      { kind: "avatar", removed: true },
    ],
  });
  const content = await signalGroupChangeToMatrix(notice, signalContext());
  assert.match(content?.body ?? "", /Alice changed the group name to "Climbers"/);
});

test("an invitee who accepts with their PNI is not named as an ACI editor", () => {
  const accepted: DecryptedGroupChange = {
    editorServiceId: CAROL_PNI,
    revision: 5,
    edits: [{ kind: "invite-accepted", invitedServiceId: CAROL_PNI, aci: CAROL, profileKey: null }],
  };
  assert.deepEqual(groupChangeNotice(accepted), { actions: [{ kind: "invite-accepted", aci: CAROL }] });
  const after = applyGroupChange(group, accepted);
  assert.deepEqual(after.pendingMembers, []);
  assert.deepEqual(
    after.members.map(({ aci, role }) => ({ aci, role })),
    [
      { aci: ALICE, role: "admin" },
      { aci: BOB, role: "member" },
      { aci: CAROL, role: "member" },
    ],
  );
});

test("applying a change gives the state at the change's revision", () => {
  const after = applyGroupChange(group, change);
  assert.equal(after.revision, 5);
  assert.equal(after.title, "Climbers");
  assert.equal(after.members.find((member) => member.aci === BOB)?.role, "admin");
  assert.deepEqual(
    after.members.find((member) => member.aci === BOB)?.profileKey,
    new Uint8Array(32).fill(1),
  );
  assert.deepEqual(after.access, { attributes: "members", members: "unknown", addFromInviteLink: "admins" });
  assert.deepEqual(after.inviteLinkPassword, new Uint8Array(16).fill(2));
  assert.equal(group.title, "Hikers", "the earlier state is left as it was");
});
