import assert from "node:assert/strict";
import { test } from "node:test";
import { accessRefusal } from "../../../../src/bridge/groups/index.js";
import type { GroupAccess, SignalGroup } from "../../../../src/signal/index.js";

const ME = "11111111-1111-4111-8111-111111111111";
const OWN = { aci: ME, pni: "PNI:44444444-4444-4444-8444-444444444444" };
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
  assert.equal(accessRefusal(group("member"), OWN, [{ kind: "title", title: "x" }]), undefined);
  assert.match(
    accessRefusal(group("member", "admins"), OWN, [{ kind: "timer", seconds: 60 }]) ?? "",
    /^Only admins of the Signal group may change the group's name/,
  );
  assert.equal(accessRefusal(group("admin", "admins"), OWN, [{ kind: "title", title: "x" }]), undefined);
  assert.match(
    accessRefusal(group("admin", "nobody"), OWN, [{ kind: "title", title: "x" }]) ?? "",
    /^Nobody may/,
  );
});

test("only admins remove others or change roles; anyone may leave", () => {
  assert.match(
    accessRefusal(group("member"), OWN, [{ kind: "remove-member", aci: OTHER }]) ?? "",
    /remove members/,
  );
  assert.equal(accessRefusal(group("member"), OWN, [{ kind: "remove-member", aci: ME }]), undefined);
  assert.equal(accessRefusal(group("admin"), OWN, [{ kind: "remove-member", aci: OTHER }]), undefined);
  assert.match(
    accessRefusal(group("member"), OWN, [{ kind: "role", aci: OTHER, role: "member" }]) ?? "",
    /admins/,
  );
});

test("a non-member or an ended group changes nothing", () => {
  assert.match(
    accessRefusal(group("admin"), { aci: "33333333-3333-4333-8333-333333333333" }, [
      { kind: "title", title: "x" },
    ]) ?? "",
    /not a member/,
  );
  assert.match(
    accessRefusal({ ...group("admin"), terminated: true }, OWN, [{ kind: "title", title: "x" }]) ?? "",
    /ended/,
  );
});

test("adding members follows the members rule; leaving and declining an invitation need no rights", () => {
  const invite = { kind: "invite" as const, serviceId: OTHER, role: "member" as const };
  assert.equal(accessRefusal(group("member"), OWN, [invite]), undefined);
  const adminsAdd = { ...group("member"), access: { ...group("member").access, members: "admins" as const } };
  assert.match(accessRefusal(adminsAdd, OWN, [invite]) ?? "", /may add members/);
  const pendingOnly = { ...group("admin"), members: [group("admin").members[1]!] };
  assert.equal(accessRefusal(pendingOnly, OWN, [{ kind: "revoke-invite", serviceId: OWN.pni }]), undefined);
  assert.match(accessRefusal(pendingOnly, OWN, [{ kind: "title", title: "x" }]) ?? "", /not a member/);
});

test("an invitation may be taken back by whoever made it, or by an admin", () => {
  const third = "55555555-5555-4555-8555-555555555555";
  const withInvite = (addedByAci: string, role: "admin" | "member") => ({
    ...group(role),
    pendingMembers: [{ serviceId: third, role: "member" as const, addedByAci, timestamp: 0 }],
  });
  const revoke = [{ kind: "revoke-invite" as const, serviceId: third }];
  assert.equal(accessRefusal(withInvite(ME, "member"), OWN, revoke), undefined);
  assert.match(accessRefusal(withInvite(OTHER, "member"), OWN, revoke) ?? "", /invitations/);
  assert.equal(accessRefusal(withInvite(OTHER, "admin"), OWN, revoke), undefined);
});

test("access rules, the group link and who may send are for admins", () => {
  for (const modification of [
    { kind: "access-attributes" as const, access: "admins" as const },
    { kind: "invite-link-password" as const, password: new Uint8Array(16) },
    { kind: "announcements-only" as const, enabled: true },
  ]) {
    assert.ok(accessRefusal(group("member"), OWN, [modification]), modification.kind);
    assert.equal(accessRefusal(group("admin"), OWN, [modification]), undefined, modification.kind);
  }
});
