/**
 * Chats started from Matrix: Alice starts a direct chat with a Signal user's ghost as Element's
 * "Start chat" does, and the room becomes their direct portal (a second one is pointed to the
 * first); she makes a room with contacts' ghosts invited and sends !signal create, and a Signal
 * group with the room's name, topic and members appears on the mock server, with the room as its
 * portal.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { GroupMasterKey, GroupSecretParams } from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import { type Device, Group, type PrimaryDevice } from "@signalapp/mock-server";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  loginThroughBot,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { groupOnServer } from "../support/group-on-server.js";
import { introduce } from "../support/linked-signal-client.js";
import { helpGroupService } from "../support/mock-group-service.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { withTimeout } from "../support/wait.js";

// A 1x1 PNG.
const AVATAR = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let newbie: PrimaryDevice;
let stranger: PrimaryDevice;
let device: Device;
let directRoom: string;

before(async () => {
  mock = await startMockSignalServer();
  helpGroupService(mock);
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  newbie = await mock.server.createPrimaryDevice({ profileName: "New Bie" });
  stranger = await mock.server.createPrimaryDevice({ profileName: "Total Stranger" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  setting = await startBridgeWithSignal(mock);
  device = await loginThroughBot(setting, mock, phone);
  await introduce(friend, device);
  await introduce(newbie, device);
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

const alice = () => setting!.alice;

test("a direct chat Alice starts with a Signal user's ghost becomes their direct portal", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    directRoom = await alice().createDirectRoom(ghostOf(newbie));
    await alice().waitForEvent(
      directRoom,
      fromUser(ghostOf(newbie), /^This room is now your Signal chat with /, "m.notice"),
      "the ghost's word that the room is bridged",
    );
    await alice().sendText(directRoom, "Hello from a chat I started");
    const received = await withTimeout(
      newbie.waitForMessage(),
      30_000,
      "the Signal user to get Alice's message",
    );
    assert.equal(received.body, "Hello from a chat I started");
    assert.equal(received.source.aci, phone.device.aci);

    await newbie.sendText(device, "Hi Alice, got it", { withProfileKey: true });
    await alice().waitForEvent(
      directRoom,
      fromUser(ghostOf(newbie), /^Hi Alice, got it$/),
      "the answer, in the same room",
    );
  });
});

test("starting a second chat with the same person points to the first one", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const second = await alice().createDirectRoom(ghostOf(newbie));
    const notice = await alice().waitForEvent(
      second,
      fromUser(ghostOf(newbie), /^You already have a Signal chat with /, "m.notice"),
      "the pointer to the existing chat",
    );
    assert.match(
      String(notice.getContent()["body"]),
      new RegExp(encodeURIComponent(directRoom).replace(/[!%]/g, ".")),
    );
    await alice().waitForMembership(second, ghostOf(newbie), "leave");
  });
});

test("!signal create makes a Signal group of the room: its name, topic, avatar and invited contacts", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    // A contact's profile key comes with their messages; the stranger's never reached Alice.
    await friend.sendText(device, "Hi, it's Friend", { withProfileKey: true });
    const friendRoom = await alice().acceptNextInvite("the direct portal with Friend");
    await alice().waitForEvent(
      friendRoom,
      fromUser(ghostOf(friend), /^Hi, it's Friend$/),
      "Friend's message",
    );

    const { bridge } = setting!;
    const { content_uri: avatarUrl } = await alice().client.uploadContent(AVATAR, {
      name: "club.png",
      type: "image/png",
    });
    const { room_id: roomId } = await alice().client.createRoom({
      name: "Book club",
      topic: "Monthly reads",
      initial_state: [{ type: "m.room.avatar", state_key: "", content: { url: avatarUrl } }],
      invite: [bridge.botUserId, ghostOf(friend), ghostOf(stranger)],
      power_level_content_override: { users: { [bridge.botUserId]: 100 } },
    });
    await alice().waitForMembership(roomId, bridge.botUserId, "join");
    await alice().sendText(roomId, "!signal create");
    await alice().waitForEvent(
      roomId,
      fromUser(
        bridge.botUserId,
        /^Created the Signal group "Book club" with 2 member\(s\) and 1 invited/,
        "m.notice",
      ),
      "the bot's word that the group exists",
    );

    const update = await withTimeout(friend.waitForMessage(), 30_000, "Friend to hear of the new group");
    const masterKey = update.dataMessage.groupV2?.masterKey;
    assert.ok(masterKey?.length, "the message names the group");
    const secretParams = GroupSecretParams.deriveFromMasterKey(new GroupMasterKey(new Uint8Array(masterKey)));
    const serverGroup = await mock.server.getGroup(secretParams.getPublicParams().serialize());
    assert.ok(serverGroup, "the group is on the groups service");
    const onServer = await groupOnServer(mock, new Group({ secretParams, groupState: serverGroup.state }));
    assert.equal(onServer.title, "Book club");
    assert.equal(onServer.description, "Monthly reads");
    assert.ok(onServer.avatarKey, "the room's avatar became the group's");
    assert.deepEqual(
      onServer.members.map((m) => [m.aci, m.admin]).sort(),
      [
        [phone.device.aci, true],
        [friend.device.aci, false],
      ].sort(),
    );
    assert.deepEqual(onServer.invited, [stranger.device.aci]);

    await alice().waitForMembership(roomId, ghostOf(friend), "join");
    const distributionId = await friend.sendSenderKey(device);
    await friend.sendText(device, "Great idea", { sealed: true, group: onServer.group, distributionId });
    await alice().waitForEvent(
      roomId,
      fromUser(ghostOf(friend), /^Great idea$/),
      "Friend's group message in the room",
    );
    assert.equal(
      alice().client.getRoom(roomId)?.getMember(ghostOf(stranger))?.membership,
      "invite",
      "the invited stranger's ghost stays invited",
    );
  });
});
