import assert from "node:assert/strict";
import { test } from "node:test";
import { accessRefusal } from "../../../../src/bridge/groups/index.js";
import type { GroupAccess, SignalGroup } from "../../../../src/signal/index.js";

const ME = "11111111-1111-4111-8111-111111111111";
const OTHER = "22222222-2222-4222-8222-222222222222";

function group(role: "admin" | "member", attributes: GroupAccess = "members"): SignalGroup {
  return {
    masterKey: new Uint8Array(32),
    id: new Uint8Array(32),
    revision: 3,
    title: "Club",
    description: "",
    avatarKey: null,
    disappearingTimerSeconds: 0,
    members: [
      { aci: ME, role, profileKey: null, joinedAtRevision: 0 },
      { aci: OTHER, role: "admin", profileKey: null, joinedAtRevision: 0 },
    ],
    pendingMembers: [],
    requestingMembers: [],
    bannedMembers: [],
    access: { attributes, members: "members", addFromInviteLink: "nobody" },
    announcementsOnly: false,
    inviteLinkPassword: null,
    terminated: false,
  };
}

test("a member may rename a group whose info all members may edit, not one where only admins may", () => {
  assert.equal(accessRefusal(group("member"), ME, [{ kind: "title", title: "x" }]), undefined);
  assert.match(
    accessRefusal(group("member", "admins"), ME, [{ kind: "timer", seconds: 60 }]) ?? "",
    /^Only admins of the Signal group may change the group's name/,
  );
  assert.equal(accessRefusal(group("admin", "admins"), ME, [{ kind: "title", title: "x" }]), undefined);
  assert.match(
    accessRefusal(group("admin", "nobody"), ME, [{ kind: "title", title: "x" }]) ?? "",
    /^Nobody may/,
  );
});

test("only admins remove others or change roles; anyone may leave", () => {
  assert.match(
    accessRefusal(group("member"), ME, [{ kind: "remove-member", aci: OTHER }]) ?? "",
    /remove members/,
  );
  assert.equal(accessRefusal(group("member"), ME, [{ kind: "remove-member", aci: ME }]), undefined);
  assert.equal(accessRefusal(group("admin"), ME, [{ kind: "remove-member", aci: OTHER }]), undefined);
  assert.match(
    accessRefusal(group("member"), ME, [{ kind: "role", aci: OTHER, role: "member" }]) ?? "",
    /admins/,
  );
});

test("a non-member or an ended group changes nothing", () => {
  assert.match(
    accessRefusal(group("admin"), "33333333-3333-4333-8333-333333333333", [{ kind: "title", title: "x" }]) ??
      "",
    /not a member/,
  );
  assert.match(
    accessRefusal({ ...group("admin"), terminated: true }, ME, [{ kind: "title", title: "x" }]) ?? "",
    /ended/,
  );
});
