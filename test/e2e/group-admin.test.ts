/**
 * Changing a Signal group from Matrix, as Alice does it in Element: renaming the room, setting its
 * topic and avatar, inviting a contact's ghost (a full member when her account has their profile
 * key, else an invitation), kicking one, making one admin through power levels, and leaving the
 * room (the group is left only after she confirms). Each reaches the group on the mock's groups
 * service, as her account; a change Signal's rules do not allow her (she was made a plain member
 * and the group info admin-only, which the room did not show yet) is put back, with a notice.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ClientZkGroupCipher } from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import { type Device, type Group, type PrimaryDevice, Proto } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
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
import { waitFor, withTimeout } from "../support/wait.js";

// A 1x1 PNG.
const AVATAR = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let other: PrimaryDevice;
let newcomer: PrimaryDevice;
let stranger: PrimaryDevice;
let device: Device;
let group: Group;
let groupRoom: string;

before(async () => {
  mock = await startMockSignalServer();
  helpGroupService(mock);
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Admin" });
  other = await mock.server.createPrimaryDevice({ profileName: "Other Member" });
  newcomer = await mock.server.createPrimaryDevice({ profileName: "New Comer" });
  stranger = await mock.server.createPrimaryDevice({ profileName: "Total Stranger" });
  phone = await mock.server.createPrimaryDevice({
    profileName: "Alice Phone",
    contacts: [friend, other, newcomer],
  });
  setting = await startBridgeWithSignal(mock);
  device = await loginThroughBot(setting, mock, phone);
  await introduce(friend, device);
  await introduce(newcomer, device);
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

const alice = () => setting!.alice;

/** Polls the groups service until the group is as `expected` says. */
async function waitForGroup(
  expected: (group: GroupOnServer) => boolean,
  what: string,
): Promise<GroupOnServer> {
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
  group = latest!.group;
  return latest!;
}

function powerLevelOf(userId: string): number {
  return alice().client.getRoom(groupRoom)?.getMember(userId)?.powerLevel ?? 0;
}

function membershipOf(userId: string): string | undefined {
  return alice().client.getRoom(groupRoom)?.getMember(userId)?.membership;
}

const noticeFrom = (sender: string, pattern: RegExp) => (event: MatrixEvent) =>
  fromUser(sender, pattern, "m.notice")(event);

test("the group's portal opens; Alice, an admin on Signal, gets power level 51, above the admins' ghosts", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    group = await friend.createGroup({ title: "Weekend plans", members: [friend, phone, other] });
    const distributionId = await friend.sendSenderKey(device);
    await friend.sendText(device, "Hello, group", { sealed: true, group, distributionId });
    groupRoom = await alice().acceptNextInvite("the group portal");
    await alice().waitForEvent(groupRoom, fromUser(ghostOf(friend), /^Hello, group$/), "the group message");
    await waitFor(() => powerLevelOf(alice().userId) === 51, {
      timeoutMs: 30_000,
      what: () => `Alice's power level to be 51 (now ${powerLevelOf(alice().userId)})`,
    });
    assert.equal(powerLevelOf(ghostOf(friend)), 50, "another admin's ghost");
  });
});

test("renaming the room and setting its topic rename the group and set its description", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await alice().client.setRoomName(groupRoom, "Hiking weekend");
    await waitForGroup((g) => g.title === "Hiking weekend", "the group's new title");
    await alice().waitForEvent(
      groupRoom,
      noticeFrom(ghostOf(phone), /Alice Phone.* changed the group name to "Hiking weekend"/),
      "the notice of Alice's change, as on Signal",
    );
    const update = await withTimeout(friend.waitForMessage(), 30_000, "the friend to get the group update");
    assert.ok(update.dataMessage.groupV2?.groupChange?.length, "the update carries the signed change");

    await alice().client.setRoomTopic(groupRoom, "Bring boots");
    await waitForGroup((g) => g.description === "Bring boots", "the group's new description");
  });
});

test("a new room avatar becomes the group's avatar, the same image", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const { content_uri } = await alice().client.uploadContent(AVATAR, {
      name: "avatar.png",
      type: "image/png",
    });
    await alice().client.sendStateEvent(
      groupRoom,
      "m.room.avatar" as never,
      { url: content_uri } as never,
      "",
    );
    const changed = await waitForGroup((g) => g.avatarKey !== null, "the group's avatar");
    const blob = (mock.server as unknown as { attachments: Map<string, Buffer> }).attachments.get(
      changed.avatarKey!.replace(/^attachments\//, ""),
    );
    assert.ok(blob, "the encrypted avatar is on CDN 0");
    const decrypted = Proto.GroupAttributeBlob.decode(
      new Uint8Array(new ClientZkGroupCipher(group.secretParams).decryptBlob(new Uint8Array(blob))),
    );
    assert.ok(
      Buffer.from(decrypted.content?.avatar ?? []).equals(AVATAR),
      "the group's avatar is Alice's image",
    );
    await alice().waitForEvent(
      groupRoom,
      noticeFrom(ghostOf(phone), /changed the group avatar/),
      "the notice of the avatar change",
    );
    const shown = alice().client.getRoom(groupRoom)?.currentState.getStateEvents("m.room.avatar", "");
    assert.equal(shown?.getContent()["url"], content_uri, "the room keeps Alice's own picture");
  });
});

test("inviting a contact's ghost adds the contact; one whose profile key Alice lacks is invited", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    // A contact's profile key comes with their messages: Alice's account has New Comer's after this.
    await newcomer.sendText(device, "Hi Alice, it's New Comer", { withProfileKey: true });
    const directRoom = await alice().acceptNextInvite("the direct portal with New Comer");
    await alice().waitForEvent(directRoom, fromUser(ghostOf(newcomer), /^Hi Alice/), "New Comer's message");

    await alice().client.invite(groupRoom, ghostOf(newcomer));
    await waitForGroup(
      (g) => g.members.some((m) => m.aci === newcomer.device.aci),
      "New Comer to be a member",
    );
    await alice().waitForMembership(groupRoom, ghostOf(newcomer), "join");

    await alice().client.invite(groupRoom, ghostOf(stranger));
    await waitForGroup((g) => g.invited.includes(stranger.device.aci), "the stranger to be invited");
    await alice().waitForEvent(
      groupRoom,
      noticeFrom(ghostOf(phone), /invited Total Stranger|invited /),
      "the notice of the invitation",
    );
    assert.equal(membershipOf(ghostOf(stranger)), "invite", "the stranger's ghost stays invited");
  });
});

test("power level 50 makes a member's ghost an admin, and lowering it takes that back", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await alice().client.setPowerLevel(groupRoom, ghostOf(newcomer), 50);
    await waitForGroup(
      (g) => g.members.some((m) => m.aci === newcomer.device.aci && m.admin),
      "New Comer an admin",
    );
    await alice().waitForEvent(
      groupRoom,
      noticeFrom(ghostOf(phone), /made New Comer.* an admin/),
      "the notice of the promotion",
    );
    await alice().client.setPowerLevel(groupRoom, ghostOf(newcomer), 0);
    await waitForGroup(
      (g) => g.members.some((m) => m.aci === newcomer.device.aci && !m.admin),
      "New Comer a plain member again",
    );
  });
});

test("kicking a member's ghost removes them from the group", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await alice().client.kick(groupRoom, ghostOf(other), "not coming");
    await waitForGroup((g) => !g.members.some((m) => m.aci === other.device.aci), "Other Member removed");
    await alice().waitForEvent(
      groupRoom,
      noticeFrom(ghostOf(phone), /removed Other Member/),
      "the removal notice",
    );
  });
});

test("the room's permissions become the group's rules: only admins send, a group link with approval", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const levels = alice().client.getRoom(groupRoom)?.currentState.getStateEvents("m.room.power_levels", "");
    const content = { ...levels?.getContent() };
    await alice().client.sendStateEvent(
      groupRoom,
      "m.room.power_levels" as never,
      { ...content, events_default: 50 } as never,
      "",
    );
    await waitForGroup((g) => g.announcementsOnly, "only admins to send");
    await alice().client.sendStateEvent(
      groupRoom,
      "m.room.join_rules" as never,
      { join_rule: "knock" } as never,
      "",
    );
    await waitForGroup(
      (g) => g.access.addFromInviteLink === Proto.AccessControl.AccessRequired.ADMINISTRATOR,
      "the group link with admin approval",
    );
    await alice().waitForEvent(
      groupRoom,
      noticeFrom(ghostOf(phone), /turned on the group link with admin approval/),
      "the notice of the group link",
    );
  });
});

test("a change Signal does not allow Alice any more is put back, with a notice saying why", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    // Alice's phone is not told, so the room still lets her rename it.
    group = await changeGroup(mock, friend, group, { demote: [phone], attributesAccess: "admins" }, []);
    await alice().client.setRoomName(groupRoom, "Alice's trip");
    await alice().waitForEvent(
      groupRoom,
      fromUser(
        setting!.bridge.botUserId,
        /^The group name was not changed on Signal: Only admins of the Signal group may change the group's name/,
        "m.notice",
      ),
      "the notice that the rename was refused",
    );
    await waitFor(() => alice().client.getRoom(groupRoom)?.name === "Hiking weekend", {
      timeoutMs: 30_000,
      what: () => `the room name put back (now ${alice().client.getRoom(groupRoom)?.name})`,
    });
    assert.equal((await groupOnServer(mock, group)).title, "Hiking weekend", "the group keeps its name");
    await waitFor(() => powerLevelOf(alice().userId) === 0, {
      timeoutMs: 30_000,
      what: "Alice's power level to follow her new role",
    });
  });
});

test("leaving the room asks in the management room; confirming leaves the Signal group", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const { managementRoom, bridge } = setting!;
    await alice().client.leave(groupRoom);
    const question = await alice().waitForEvent(
      managementRoom,
      fromUser(
        bridge.botUserId,
        /You left the room of the Signal group "Hiking weekend".*confirm-leave (\d+)/s,
      ),
      "the question whether to leave the group",
    );
    assert.ok(
      (await groupOnServer(mock, group)).members.some((m) => m.aci === phone.device.aci),
      "Alice's account is still in the group",
    );
    const number = /confirm-leave (\d+)/.exec(String(question.getContent()["body"]))?.[1];
    await alice().sendText(managementRoom, `confirm-leave ${number}`);
    await alice().waitForEvent(
      managementRoom,
      fromUser(bridge.botUserId, /^You left the Signal group "Hiking weekend"/),
      "the confirmation",
    );
    await waitForGroup(
      (g) => !g.members.some((m) => m.aci === phone.device.aci),
      "Alice's account to have left",
    );
  });
});
