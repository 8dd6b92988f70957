/**
 * Signal groups kept in sync into their portal: a friend's group, changed on the mock Signal
 * server the way a member's app changes it (and tells the members with a group update message),
 * as Alice sees it in Matrix; and sending into the group right after the bridge restarts.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Device, Group, PrimaryDevice } from "@signalapp/mock-server";
import { Direction, type MatrixEvent } from "matrix-js-sdk";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  loginThroughBot,
  startBridgeUser,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { changeGroup } from "../support/group-changes.js";
import { introduce } from "../support/linked-signal-client.js";
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
let device: Device;
let group: Group;
let groupRoom: string;
let stopBob: (() => void) | undefined;

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Admin" });
  other = await mock.server.createPrimaryDevice({ profileName: "Other Member" });
  newcomer = await mock.server.createPrimaryDevice({ profileName: "New Member" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend, other] });
  setting = await startBridgeWithSignal(mock);
  device = await loginThroughBot(setting, mock, phone);
  await introduce(friend, device);
});

after(async () => {
  stopBob?.();
  await setting?.stop();
  await mock?.close();
});

const alice = () => setting!.alice;

/** The first state event of `type` in the group portal whose content matches. */
function waitForState(type: string, matches: (content: Record<string, unknown>) => boolean, what: string) {
  return alice().waitForEvent(
    groupRoom,
    (event: MatrixEvent) =>
      event.getType() === type && event.getStateKey() === "" && matches(event.getContent()),
    what,
  );
}

/** The power level Alice's client shows for `userId` in the group portal. */
function powerLevelOf(userId: string): number {
  const room = alice().client.getRoom(groupRoom);
  return room?.getMember(userId)?.powerLevel ?? 0;
}

async function waitForPowerLevel(userId: string, atLeast: number, what: string): Promise<void> {
  await waitFor(() => powerLevelOf(userId) >= atLeast, {
    timeoutMs: 30_000,
    what: () => `${what} (power level now ${powerLevelOf(userId)})`,
  });
}

test("a friend's group opens one portal with the members' ghosts, admins at power level 50", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    group = await friend.createGroup({ title: "Weekend plans", members: [friend, phone, other] });
    const distributionId = await friend.sendSenderKey(device);
    await friend.sendText(device, "Hello, group", { sealed: true, group, distributionId });

    groupRoom = await alice().acceptNextInvite("the group portal");
    await alice().waitForEvent(groupRoom, fromUser(ghostOf(friend), /^Hello, group$/), "the group message");
    assert.equal(alice().client.getRoom(groupRoom)?.name, "Weekend plans");
    for (const member of [friend, other, phone]) {
      await alice().waitForMembership(groupRoom, ghostOf(member), "join");
      // The mock makes everyone in a new group an admin.
      await waitForPowerLevel(ghostOf(member), 50, `${ghostOf(member)} to be shown as an admin`);
    }
    assert.ok(powerLevelOf(setting!.bridge.botUserId) >= 100, "the bot keeps its power level of 100 or more");
  });
});

test("a new title and description rename the room and set its topic, with a notice from the editor", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    group = await changeGroup(mock, friend, group, { title: "Hiking weekend", description: "Bring boots" }, [
      device,
    ]);
    await waitForState("m.room.name", (content) => content["name"] === "Hiking weekend", "the new room name");
    await waitForState("m.room.topic", (content) => content["topic"] === "Bring boots", "the new topic");
    const notice = await alice().waitForEvent(
      groupRoom,
      fromUser(ghostOf(friend), /changed the group name to "Hiking weekend"/, "m.notice"),
      "the notice of the change",
    );
    assert.match(
      String(notice.getContent()["body"]),
      /Friend Admin.*changed the group description to "Bring boots"/s,
    );
    assert.equal(alice().client.getRoom(groupRoom)?.name, "Hiking weekend");
  });
});

test("an added member's ghost joins, and made an admin it gets power level 50", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    group = await changeGroup(mock, friend, group, { add: [newcomer] }, [device]);
    await alice().waitForMembership(groupRoom, ghostOf(newcomer), "join");
    await alice().waitForEvent(
      groupRoom,
      fromUser(ghostOf(friend), /added New Member/, "m.notice"),
      "the notice naming the added member by their profile name",
    );
    assert.ok(powerLevelOf(ghostOf(newcomer)) < 50, "a plain member is no admin in the room");

    group = await changeGroup(mock, friend, group, { promote: [newcomer] }, [device]);
    await waitForPowerLevel(ghostOf(newcomer), 50, "the new admin's ghost to get power level 50");
    await alice().waitForEvent(
      groupRoom,
      fromUser(ghostOf(friend), /made New Member.* an admin/, "m.notice"),
      "the notice of the promotion",
    );
  });
});

test("a removed member's ghost leaves the room", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    group = await changeGroup(mock, friend, group, { remove: [other] }, [device]);
    await alice().waitForMembership(groupRoom, ghostOf(other), "leave");
    await alice().waitForEvent(
      groupRoom,
      fromUser(ghostOf(friend), /removed Other Member/, "m.notice"),
      "the notice of the removal",
    );
    assert.equal(powerLevelOf(ghostOf(other)), 0, "the removed admin's power level is gone");
  });
});

test("a new group avatar becomes the room avatar, with the same image", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    group = await changeGroup(mock, friend, group, { avatar: AVATAR }, [device]);
    const avatar = await waitForState(
      "m.room.avatar",
      (content) => typeof content["url"] === "string",
      "the room avatar",
    );
    assert.ok((await alice().download(String(avatar.getContent()["url"]))).equals(AVATAR));
    await alice().waitForEvent(
      groupRoom,
      fromUser(ghostOf(friend), /changed the group avatar/, "m.notice"),
      "the notice of the avatar change",
    );
  });
});

test("a group timer set on Signal shows as the portal's timer, and Matrix messages carry it", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    group = await friend.modifyGroupDisappearingMessageTimer(group, 3600, { sendUpdateTo: [{ device }] });
    await waitForState(
      "com.beeper.disappearing_timer",
      (content) => content["type"] === "after_read" && content["timer"] === 3_600_000,
      "the group's timer in the room state",
    );
    await alice().waitForEvent(
      groupRoom,
      fromUser(ghostOf(friend), /set disappearing messages to 1 hour/, "m.notice"),
      "the notice of the timer change",
    );
    await alice().sendText(groupRoom, "Noted, one hour");
    for (const member of [friend, newcomer]) {
      const received = await withTimeout(
        member.waitForMessage(),
        30_000,
        `${member.device.aci} to get the reply`,
      );
      assert.equal(received.body, "Noted, one hour");
      assert.equal(received.dataMessage.expireTimer, 3600, "the reply disappears like the group's messages");
    }
  });
});

test("right after a restart, a Matrix message in the group portal reaches the group's members", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    assert.equal(await setting!.bridge.stop("SIGTERM"), 0, "a clean stop exits 0");
    await setting!.bridge.start();
    await alice().sendText(groupRoom, "Back after a restart");
    for (const member of [friend, newcomer]) {
      const received = await withTimeout(
        member.waitForMessage(),
        30_000,
        `${member.device.aci} to receive the message`,
      );
      assert.equal(received.body, "Back after a restart");
      assert.deepEqual(
        Buffer.from(received.dataMessage.groupV2?.masterKey ?? []),
        Buffer.from(group.masterKey),
        "it is a message of the group",
      );
      assert.equal(received.dataMessage.groupV2?.revision, group.revision, "sent at the current revision");
    }
  });
});

/** A sealed sender-key message from the friend in the group, to one linked device. */
async function sendInGroup(to: Device, text: string, timestamp = Date.now()): Promise<void> {
  const distributionId = await friend.sendSenderKey(to);
  await friend.sendText(to, text, { sealed: true, group, distributionId, timestamp });
}

test("with a second linked member the portal is shared, and each message and change shows once", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const bobPhone = await mock.server.createPrimaryDevice({ profileName: "Bob Phone", contacts: [friend] });
    const { user: bob, managementRoom } = await startBridgeUser(setting!.synapse, setting!.bridge, "bob");
    stopBob = () => bob.stop();
    const bobDevice = await loginThroughBot(setting!, mock, bobPhone, bob, managementRoom);
    await introduce(friend, bobDevice);

    group = await changeGroup(mock, friend, group, { add: [bobPhone] }, [device, bobDevice]);
    assert.equal(
      await bob.acceptNextInvite("the group portal"),
      groupRoom,
      "Bob is invited to Alice's portal",
    );
    await alice().waitForMembership(groupRoom, bob.userId, "join");

    group = await changeGroup(mock, friend, group, { title: "Hiking with Bob" }, [device, bobDevice]);
    const timestamp = Date.now();
    await sendInGroup(device, "Welcome, Bob", timestamp);
    await sendInGroup(bobDevice, "Welcome, Bob", timestamp);
    // Each login bridges its events in order: once these show, both logins handled all of the above.
    await sendInGroup(device, "last one for Alice");
    await sendInGroup(bobDevice, "last one for Bob");
    for (const last of [/^last one for Alice$/, /^last one for Bob$/]) {
      await alice().waitForEvent(groupRoom, fromUser(ghostOf(friend), last), `the message ${last}`);
    }

    const { chunk } = await alice().client.createMessagesRequest(groupRoom, null, 100, Direction.Backward);
    const count = (type: string, pattern: RegExp, field = "body") =>
      chunk.filter((event) => event.type === type && pattern.test(String(event.content[field] ?? ""))).length;
    assert.equal(count("m.room.message", /^Welcome, Bob$/), 1, "the message shows once");
    assert.equal(count("m.room.message", /added Bob Phone/), 1, "the notice of Bob's joining shows once");
    assert.equal(
      count("m.room.message", /changed the group name to "Hiking with Bob"/),
      1,
      "one rename notice",
    );
    assert.equal(count("m.room.name", /^Hiking with Bob$/, "name"), 1, "the room is renamed once");
  });
});
