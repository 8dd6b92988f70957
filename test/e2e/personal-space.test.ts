/**
 * Each logged-in user's "Signal" space: a named space with an avatar holding exactly the user's
 * portals, each added as it is made (`bridge.personal_filtering_spaces`, on by default).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  loginThroughBot,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { introduce } from "../support/linked-signal-client.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { waitFor } from "../support/wait.js";

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  setting = await startBridgeWithSignal(mock);
  device = await loginThroughBot(setting, mock, phone);
  await introduce(friend, device);
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

test("Alice's Signal space holds her direct and group portals, and nothing else", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const alice = setting!.alice;
    const client = alice.client;
    await friend.sendText(device, "Hello from Signal", { withProfileKey: true });
    const invited = new Set<string>();
    const joinAll = async () => {
      for (const room of client.getRooms()) {
        if (room.getMyMembership() === "invite" && !invited.has(room.roomId)) {
          invited.add(room.roomId);
          await client.joinRoom(room.roomId);
        }
      }
    };
    let directRoom: string | undefined;
    await waitFor(
      async () => {
        await joinAll();
        directRoom = client
          .getRooms()
          .find((r) => r.getMember(ghostOf(friend)) && r.name !== "Weekend")?.roomId;
        return directRoom !== undefined;
      },
      { timeoutMs: 30_000, what: "the direct portal" },
    );
    await alice.waitForEvent(
      directRoom!,
      fromUser(ghostOf(friend), /^Hello from Signal$/),
      "the direct message",
    );

    const group = await friend.createGroup({ title: "Weekend", members: [friend, phone] });
    const distributionId = await friend.sendSenderKey(device);
    await friend.sendText(device, "Hello, group", { sealed: true, group, distributionId });
    let groupRoom: string | undefined;
    await waitFor(
      async () => {
        await joinAll();
        groupRoom = client
          .getRooms()
          .find((r) => r.name === "Weekend" && r.getMyMembership() === "join")?.roomId;
        return groupRoom !== undefined;
      },
      { timeoutMs: 30_000, what: "the group portal" },
    );

    let spaceId: string | undefined;
    await waitFor(
      async () => {
        await joinAll();
        const space = client.getRooms().find((r) => r.isSpaceRoom() && r.getMyMembership() === "join");
        spaceId = space?.roomId;
        const children =
          space?.currentState.getStateEvents("m.space.child").map((e) => e.getStateKey()) ?? [];
        return children.length === 2;
      },
      { timeoutMs: 30_000, what: "Alice's space with two portals" },
    );
    const space = client.getRoom(spaceId!)!;
    assert.equal(space.name, "Signal");
    const avatar = space.currentState.getStateEvents("m.room.avatar", "")?.getContent()["url"];
    assert.ok(typeof avatar === "string" && avatar.startsWith("mxc://"), "the space has an avatar");
    const children = space.currentState
      .getStateEvents("m.space.child")
      .filter((e) => Array.isArray(e.getContent()["via"]))
      .map((e) => e.getStateKey());
    assert.deepEqual(new Set(children), new Set([directRoom, groupRoom]), "exactly Alice's portals");
    assert.ok(!children.includes(setting!.managementRoom), "not the management room");
  });
});
