/**
 * What goes wrong on the Signal side is shown in the portal, never swallowed: a message the
 * bridge cannot decrypt (a notice, a retry request, and the message once the sender sends it
 * again) and a contact whose safety number changed.
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
import { reinstallSignal } from "../support/reinstall-contact.js";
import { withTimeout } from "../support/wait.js";

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
  setting = await startBridgeWithSignal(mock);
  device = await loginThroughBot(setting, mock, phone);
  await introduce(phone, device);
  await introduce(friend, device);
  await friend.sendText(device, "Hello from Signal", { withProfileKey: true });
  directRoom = await setting.alice.acceptNextInvite("the direct portal with Friend");
  await setting.alice.waitForEvent(
    directRoom,
    fromUser(ghostOf(friend), /^Hello from Signal$/),
    "the contact's first message",
  );
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

test("an undecryptable message shows a notice, and the message itself once the sender answers the retry request", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const { alice } = setting!;
    // Encrypted for another device of Alice's account: the bridge's device holds none of its keys.
    const otherDevice = await mock.server.createSecondaryDevice(phone);
    await introduce(friend, otherDevice);
    const timestamp = Date.now();
    const text = "This one got scrambled";
    const undecryptable = await friend.encryptText(otherDevice, text, { timestamp });
    await withTimeout(mock.server.send(device, undecryptable), 10_000, "the mock to deliver the envelope");

    await alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /message from Friend Contact could not be decrypted/, "m.notice"),
      "the notice that a message could not be decrypted",
    );
    const retry = await withTimeout(
      friend.waitForDecryptionError(),
      30_000,
      "the contact's device to get the bridge's retry request",
    );
    assert.equal(retry.timestamp, timestamp, "the retry request names the message");
    assert.equal(retry.senderDevice, friend.device.deviceId);

    // The mock only queues retry requests; a Signal app answers by sending the message again
    // with its original timestamp, which is what the contact does here.
    await friend.sendText(device, text, { timestamp });
    const recovered = await alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), new RegExp(`^${text}$`), "m.text"),
      "the message after the sender sent it again",
    );
    assert.equal(recovered.getContent()["body"], text);
  });
});

test("a contact reinstalling Signal (a new identity key) posts a safety-number notice in their chat", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const { alice } = setting!;
    await reinstallSignal(friend);
    // The reinstalled app fetches a pre-key of the bridge's device and starts a new session.
    await introduce(friend, device);
    await friend.sendText(device, "New phone, who dis");

    await alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /Your safety number with Friend Contact changed/, "m.notice"),
      "the safety-number notice",
    );
    await alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^New phone, who dis$/),
      "the message that came with the new identity",
    );
  });
});
