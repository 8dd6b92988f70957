/**
 * A contact renames themselves on Signal; with signal.profile_refresh_minutes at 0 the next thing
 * they send makes the bridge fetch their profile again, and Alice sees their ghost's new name.
 * The bridge process, a real Synapse, the mock Signal server and Alice driven by matrix-js-sdk.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { encryptProfileName } from "@signalapp/mock-server/src/crypto.js";
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
let directRoom: string;

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  setting = await startBridgeWithSignal(mock, { signal: { profile_refresh_minutes: 0 } });
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

/** The name Alice's client shows for the friend's ghost in the direct portal. */
const ghostNameInRoom = () =>
  setting!.alice.client.getRoom(directRoom)?.getMember(ghostOf(friend))?.rawDisplayName;

test("the contact's first message brings their ghost, named from their profile", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    device = await loginThroughBot(setting!, mock, phone);
    await introduce(phone, device);
    await introduce(friend, device);
    await friend.sendText(device, "Hello from Signal", { withProfileKey: true });
    directRoom = await setting!.alice.acceptNextInvite("the direct portal with Friend");
    await setting!.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^Hello from Signal$/),
      "the contact's first message",
    );
    await waitFor(() => ghostNameInRoom() === "Friend Contact (Signal)", {
      timeoutMs: 30_000,
      what: () => `the ghost to be shown as "Friend Contact (Signal)", not ${ghostNameInRoom()}`,
    });
  });
});

test("after the contact renames themselves, their next message renames the ghost", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    // What the contact's phone does on a rename: upload the new name encrypted with its profile key.
    friend.device.profileName = encryptProfileName(friend.profileKey.serialize(), "Renamed Friend");

    await friend.sendText(device, "I changed my name", { withProfileKey: true });
    await setting!.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^I changed my name$/),
      "the contact's message after the rename",
    );
    await waitFor(() => ghostNameInRoom() === "Renamed Friend (Signal)", {
      timeoutMs: 30_000,
      what: () => `the ghost to be shown as "Renamed Friend (Signal)", still ${ghostNameInRoom()}`,
    });
    const profile = await setting!.alice.client.getProfileInfo(ghostOf(friend));
    assert.equal(profile.displayname, "Renamed Friend (Signal)", "the ghost's own profile too");
  });
});
