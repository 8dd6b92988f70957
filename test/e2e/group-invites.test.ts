/**
 * Group invitations and group links: a friend invites Alice's account to a group on Signal and
 * Alice is invited to its portal (joining accepts on Signal, leaving declines); Alice joins a
 * group by its link with `join` (at once, or by asking, and an admin's approval opens the
 * portal); someone asking to join a group Alice administers knocks on its portal, and Alice's
 * invite lets them in.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { type Device, type Group, type PrimaryDevice, Proto } from "@signalapp/mock-server";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  loginThroughBot,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { changeGroup } from "../support/group-changes.js";
import { type GroupOnServer, groupOnServer } from "../support/group-on-server.js";
import { introduce } from "../support/linked-signal-client.js";
import { helpGroupService } from "../support/mock-group-service.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { waitFor } from "../support/wait.js";

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let stranger: PrimaryDevice;
let device: Device;

before(async () => {
  mock = await startMockSignalServer();
  helpGroupService(mock);
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Admin" });
  stranger = await mock.server.createPrimaryDevice({ profileName: "Total Stranger" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  setting = await startBridgeWithSignal(mock);
  device = await loginThroughBot(setting, mock, phone);
  await introduce(friend, device);
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

const alice = () => setting!.alice;

async function waitForGroup(group: Group, expected: (g: GroupOnServer) => boolean, what: string) {
  let latest: GroupOnServer | undefined;
  await waitFor(
    async () => {
      latest = await groupOnServer(mock, group);
      return expected(latest);
    },
    {
      timeoutMs: 30_000,
      what: () => `${what} (group now: ${JSON.stringify({ ...latest, group: undefined })})`,
    },
  );
  return latest!;
}

/** The room of the next invite Alice has not seen, without answering it. */
async function nextInvite(what: string, seen: ReadonlySet<string>): Promise<string> {
  let roomId: string | undefined;
  await waitFor(
    () => {
      roomId = alice()
        .client.getRooms()
        .find((room) => room.getMyMembership() === "invite" && !seen.has(room.roomId))?.roomId;
      return roomId !== undefined;
    },
    { timeoutMs: 30_000, what: `an invite to ${what}` },
  );
  return roomId!;
}

const isMember = (aci: string) => (g: GroupOnServer) => g.members.some((member) => member.aci === aci);

/** What a Signal app shares for a group whose link is on. */
function linkOf(group: Group, password: Uint8Array): string {
  const encoded = Proto.GroupInviteLink.encode({
    contents: {
      contentsV1: { groupMasterKey: group.masterKey, inviteLinkPassword: new Uint8Array(password) },
    },
  });
  return `https://signal.group/#${Buffer.from(encoded).toString("base64url")}`;
}

/** Alice sends a command in her management room; resolves to the bot's reply matching `pattern`. */
async function command(text: string, pattern: RegExp, what: string) {
  const { managementRoom, bridge } = setting!;
  await alice().sendText(managementRoom, text);
  return alice().waitForEvent(managementRoom, fromUser(bridge.botUserId, pattern, "m.notice"), what);
}

test("a Signal invitation to a group is an invite to its portal; joining accepts it on Signal", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    let group = await friend.createGroup({ title: "Invited club", members: [friend] });
    group = await changeGroup(mock, friend, group, { invite: [phone] }, [device]);
    const roomId = await alice().acceptNextInvite("the portal of the group Alice is invited to");
    const accepted = await waitForGroup(group, isMember(phone.device.aci), "Alice's account to be a member");
    assert.deepEqual(accepted.invited, [], "no longer invited");
    await alice().waitForEvent(
      roomId,
      fromUser(ghostOf(phone), /accepted the invitation and joined the group/, "m.notice"),
      "the notice that Alice joined",
    );
    assert.equal(alice().client.getRoom(roomId)?.name, "Invited club");
  });
});

test("leaving the portal of a group Alice is invited to declines the invitation", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const seen = new Set(
      alice()
        .client.getRooms()
        .map((room) => room.roomId),
    );
    let group = await friend.createGroup({ title: "Declined club", members: [friend] });
    group = await changeGroup(mock, friend, group, { invite: [phone] }, [device]);
    const roomId = await nextInvite("the portal of the second group", seen);
    await alice().client.leave(roomId);
    const declined = await waitForGroup(
      group,
      (g) => g.invited.length === 0,
      "the invitation to be declined",
    );
    assert.ok(!isMember(phone.device.aci)(declined), "Alice's account did not join");
  });
});

test("join with a group link lets Alice's account in and opens the portal", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const password = randomBytes(16);
    let group = await friend.createGroup({ title: "Open club", members: [friend] });
    group = await changeGroup(mock, friend, group, { link: { access: "anyone", password } }, []);
    await command(
      "join https://signal.group/#broken",
      /^That Signal group link is damaged/,
      "the bad-link reply",
    );
    await command(
      `join ${linkOf(group, password)}`,
      /^Joined "Open club": accept the invite/,
      "the join reply",
    );
    const roomId = await alice().acceptNextInvite("the portal of the group joined by link");
    assert.equal(alice().client.getRoom(roomId)?.name, "Open club");
    await waitForGroup(group, isMember(phone.device.aci), "Alice's account to be a member");
  });
});

test("join with a link that needs approval asks; the admin's approval opens the portal", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const password = randomBytes(16);
    let group = await friend.createGroup({ title: "Careful club", members: [friend] });
    group = await changeGroup(mock, friend, group, { link: { access: "admins", password } }, []);
    await command(
      `join ${linkOf(group, password)}`,
      /^Asked to join "Careful club": an admin of the group has to approve/,
      "the reply that Alice asked",
    );
    const asked = await waitForGroup(
      group,
      (g) => g.requesting.includes(phone.device.aci),
      "Alice's request",
    );
    await changeGroup(mock, friend, asked.group, { approve: [phone] }, [device]);
    const roomId = await alice().acceptNextInvite("the portal after the approval");
    assert.equal(alice().client.getRoom(roomId)?.name, "Careful club");
  });
});

test("someone asking to join Alice's group knocks on its portal; Alice's invite approves them", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const password = randomBytes(16);
    let group = await friend.createGroup({ title: "Knock club", members: [friend, phone] });
    group = await changeGroup(mock, friend, group, { link: { access: "admins", password } }, [device]);
    const roomId = await alice().acceptNextInvite("the portal of Alice's group");
    group = await changeGroup(mock, stranger, group, { askToJoin: true }, []);
    // Members' apps learn of requests with the group's next revision.
    const distributionId = await friend.sendSenderKey(device);
    await friend.sendText(device, "Someone knocks", { sealed: true, group, distributionId });
    await alice().waitForMembership(roomId, ghostOf(stranger), "knock");

    await alice().client.invite(roomId, ghostOf(stranger));
    await waitForGroup(group, isMember(stranger.device.aci), "the stranger to be let in");
    await alice().waitForMembership(roomId, ghostOf(stranger), "join");
  });
});
