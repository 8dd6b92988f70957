/**
 * Right after linking, the chats the phone keeps in Signal's storage service (groups, pinned
 * direct chats) become portal rooms without the user asking.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type PrimaryDevice, StorageState } from "@signalapp/mock-server";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  fromUser,
  loginThroughBot,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let blockedFriend: PrimaryDevice;

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Pinned Friend" });
  blockedFriend = await mock.server.createPrimaryDevice({ profileName: "Blocked Friend" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  setting = await startBridgeWithSignal(mock);
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

test("after login, the phone's groups and pinned chats appear as rooms Alice is invited to", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const club = await friend.createGroup({ title: "Climbing club", members: [friend, phone] });
    const blockedGroup = await friend.createGroup({ title: "Spam group", members: [friend, phone] });
    await phone.setStorageState(
      StorageState.getEmpty()
        .addGroup(club, { whitelisted: true })
        .addGroup(blockedGroup, { blocked: true })
        .addContact(friend, { whitelisted: true, givenName: "Pinned", familyName: "Friend" })
        .addContact(blockedFriend, { blocked: true })
        .pin(friend)
        .pin(blockedFriend),
    );

    await loginThroughBot(setting!, mock, phone);
    const { alice, bridge, managementRoom } = setting!;
    const report = await alice.waitForEvent(
      managementRoom,
      fromUser(bridge.botUserId, /^Sync done/, "m.notice"),
      "the chat sync report after login",
    );
    const body = String(report.getContent()["body"]);
    assert.match(body, /• Climbing club: room created/);
    assert.match(body, /Pinned chats: 1\.\n• Pinned Friend: room created/);
    assert.doesNotMatch(body, /Spam group|Blocked Friend/, "blocked chats are left out");

    const names = new Set<string | undefined>();
    for (const what of ["the first portal invite", "the second portal invite"]) {
      const roomId = await alice.acceptNextInvite(what);
      names.add(alice.client.getRoom(roomId)?.name);
    }
    assert.deepEqual(names, new Set(["Climbing club", "Pinned Friend"]));
  });
});

test("when the phone changes its storage (a new group), the bridge reads it again and opens the room", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const { alice } = setting!;
    const trip = await friend.createGroup({ title: "Ski trip", members: [friend, phone] });
    const before = await phone.expectStorageState("the storage written before login");
    await phone.setStorageState(before.addGroup(trip, { whitelisted: true }), before);
    await phone.sendFetchStorage({ timestamp: Date.now() });

    const roomId = await alice.acceptNextInvite("the portal of the group added on the phone");
    assert.equal(alice.client.getRoom(roomId)?.name, "Ski trip");
  });
});
