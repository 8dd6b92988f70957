import assert from "node:assert/strict";
import { test } from "node:test";

import {
  type GroupRoomTarget,
  planGroupRoom,
  type RoomSnapshot,
} from "../../../src/bridge/group-room-plan.js";

const BOT = "@signalbot:hs";
const ALICE = "@alice:hs";
const BOB = "@bob:hs";
const ghost = (name: string) => `@signal_${name}:hs`;

function target(overrides: Partial<GroupRoomTarget> = {}): GroupRoomTarget {
  return {
    name: "Hiking club",
    topic: "Sundays",
    memberGhosts: [ghost("ann"), ghost("ben")],
    adminGhosts: new Set([ghost("ann")]),
    linkedMembers: [ALICE],
    linkedOthers: [],
    isGhost: (userId) => userId.startsWith("@signal_"),
    ...overrides,
  };
}

/** A room that already shows `target()`. */
function inSync(): RoomSnapshot {
  return {
    name: "Hiking club",
    topic: "Sundays",
    powerLevels: { users: { [BOT]: 100, [ghost("ann")]: 50 }, users_default: 0, events_default: 0 },
    memberships: new Map([
      [BOT, "join"],
      [ALICE, "join"],
      [ghost("ann"), "join"],
      [ghost("ben"), "join"],
    ]),
  };
}

test("a room that shows the group needs nothing", () => {
  assert.deepEqual(planGroupRoom(inSync(), target()), { join: [], leave: [], invite: [], kick: [] });
});

test("a new portal gets the members' ghosts, the linked member invited and the admins' power levels", () => {
  // Room version 12: the bot created the room, so it has unlimited power and must not be listed.
  const created: RoomSnapshot = {
    name: "Hiking club",
    topic: undefined,
    powerLevels: { users: {}, users_default: 0, ban: 50 },
    memberships: new Map([[BOT, "join"]]),
  };
  const plan = planGroupRoom(created, target({ topic: "" }));
  assert.deepEqual(plan.join, [ghost("ann"), ghost("ben")]);
  assert.deepEqual(plan.invite, [ALICE]);
  assert.equal(plan.topic, undefined, "no description and no topic: nothing to set");
  assert.deepEqual(plan.powerLevels, { users: { [ghost("ann")]: 50 }, users_default: 0, ban: 50 });
});

test("a renamed group with a new description renames the room and sets its topic", () => {
  const plan = planGroupRoom(inSync(), target({ name: "Hiking & climbing", topic: "Also Saturdays" }));
  assert.equal(plan.name, "Hiking & climbing");
  assert.equal(plan.topic, "Also Saturdays");
  assert.equal(plan.powerLevels, undefined);
});

test("a removed member's ghost leaves; a demoted admin's ghost loses its power level, others' stay", () => {
  const room = inSync();
  room.powerLevels = { users: { [BOT]: 100, [ghost("ann")]: 50, [BOB]: 75 } };
  const plan = planGroupRoom(
    room,
    target({ memberGhosts: [ghost("ann")], adminGhosts: new Set(), linkedMembers: [ALICE] }),
  );
  assert.deepEqual(plan.leave, [ghost("ben")]);
  assert.deepEqual(plan.powerLevels, { users: { [BOT]: 100, [BOB]: 75 } }, "a Matrix user's level is kept");
});

test("a new member's ghost joins (invited or not) and a promoted member's ghost gets 50", () => {
  const room = inSync();
  (room.memberships as Map<string, string>).set(ghost("cat"), "invite");
  const plan = planGroupRoom(
    room,
    target({
      memberGhosts: [ghost("ann"), ghost("ben"), ghost("cat"), ghost("dan")],
      adminGhosts: new Set([ghost("ann"), ghost("dan")]),
    }),
  );
  assert.deepEqual(plan.join, [ghost("cat"), ghost("dan")]);
  assert.deepEqual(plan.powerLevels?.users, { [BOT]: 100, [ghost("ann")]: 50, [ghost("dan")]: 50 });
});

test("a linked user whose account left the group is removed; one who was only invited too", () => {
  const room = inSync();
  (room.memberships as Map<string, string>).set(BOB, "invite");
  const plan = planGroupRoom(room, target({ linkedMembers: [], linkedOthers: [ALICE, BOB, "@carol:hs"] }));
  assert.deepEqual(plan.kick, [ALICE, BOB]);
  assert.deepEqual(plan.invite, []);
});

const rules = {
  attributes: "members" as const,
  members: "members" as const,
  addFromInviteLink: "nobody" as const,
  announcementsOnly: false,
};

test("linked users get the level their account's role gives (admins one above admin ghosts); others keep theirs", () => {
  const room: RoomSnapshot = {
    ...inSync(),
    powerLevels: { users: { [BOT]: 100, [ghost("ann")]: 50, [BOB]: 50, "@mod:hs": 75 } },
  };
  const plan = planGroupRoom(
    room,
    target({ linkedMembers: [ALICE, BOB], linkedAdmins: new Set([ALICE]), linkedOthers: [] }),
  );
  assert.deepEqual(plan.powerLevels?.users, { [BOT]: 100, [ghost("ann")]: 50, "@mod:hs": 75, [ALICE]: 51 });
});

test("the group's access rules become the levels of its info events, invites and messages", () => {
  const open = planGroupRoom(inSync(), target({ rules }));
  assert.deepEqual(open.powerLevels?.events, {
    "m.room.name": 0,
    "m.room.topic": 0,
    "m.room.avatar": 0,
    "com.beeper.disappearing_timer": 0,
    "m.room.power_levels": 50,
  });
  assert.equal(open.powerLevels?.invite, 0);
  assert.equal(open.powerLevels?.events_default, 0);

  const strict = planGroupRoom(
    inSync(),
    target({
      rules: {
        attributes: "admins",
        members: "admins",
        addFromInviteLink: "nobody",
        announcementsOnly: true,
      },
    }),
  );
  assert.equal(strict.powerLevels?.events?.["m.room.name"], 50);
  assert.equal(strict.powerLevels?.invite, 50);
  assert.equal(strict.powerLevels?.events_default, 50, "only admins send");

  const applied: RoomSnapshot = { ...inSync(), powerLevels: strict.powerLevels };
  assert.equal(
    planGroupRoom(
      applied,
      target({
        rules: {
          attributes: "admins",
          members: "admins",
          addFromInviteLink: "nobody",
          announcementsOnly: true,
        },
      }),
    ).powerLevels,
    undefined,
    "applied once, nothing more to do",
  );
});

test("a group link turns the room to knocking; without one it is invite only", () => {
  const room: RoomSnapshot = { ...inSync(), joinRule: "invite" };
  assert.equal(
    planGroupRoom(room, target({ rules: { ...rules, addFromInviteLink: "admins" } })).joinRule,
    "knock",
  );
  assert.equal(
    planGroupRoom(room, target({ rules: { ...rules, addFromInviteLink: "anyone" } })).joinRule,
    "knock",
  );
  assert.equal(planGroupRoom(room, target({ rules })).joinRule, undefined);
  assert.equal(planGroupRoom({ ...room, joinRule: "knock" }, target({ rules })).joinRule, "invite");
});

test("an invited person's ghost is invited and stays so; a banned member's ghost is brought back", () => {
  const room: RoomSnapshot = {
    ...inSync(),
    memberships: new Map([...inSync().memberships, [ghost("cat"), "invite"], [ghost("ben"), "ban"]]),
  };
  const plan = planGroupRoom(room, target({ invitedGhosts: [ghost("cat"), ghost("dan")] }));
  assert.deepEqual(plan.inviteGhosts, [ghost("dan")]);
  assert.deepEqual(plan.leave, [], "the invited ghost is not asked to leave");
  assert.deepEqual(plan.join, [ghost("ben")]);
});

test("a linked admin who created the room (room version 12) is not listed in the power levels", () => {
  const room: RoomSnapshot = { ...inSync(), creators: new Set([ALICE]) };
  const plan = planGroupRoom(room, target({ linkedAdmins: new Set([ALICE]) }));
  assert.equal(plan.powerLevels, undefined, "nothing to add for the creator");
});

test("a linked user invited to the group is invited to the room, not kicked; askers' ghosts knock", () => {
  const room: RoomSnapshot = {
    ...inSync(),
    memberships: new Map([...inSync().memberships, [BOB, "invite"], [ghost("old"), "knock"]]),
  };
  const plan = planGroupRoom(
    room,
    target({ linkedInvited: [BOB, "@carol:hs"], knockingGhosts: [ghost("eve")], linkedOthers: [] }),
  );
  assert.deepEqual(plan.invite, ["@carol:hs"], "Bob is invited already");
  assert.deepEqual(plan.kick, []);
  assert.deepEqual(plan.knock, [ghost("eve")]);
  assert.deepEqual(plan.leave, [ghost("old")], "a request that ended stops knocking");
});
