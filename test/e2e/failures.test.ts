/**
 * What goes wrong on the Signal side is shown in the portal, never swallowed: a message the
 * bridge cannot decrypt (a notice, a retry request, and the message once the sender sends it
 * again) and a contact whose safety number changed.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { withBridgeLog } from "../support/bridge-process.js";
import { fromUser, ghostOf } from "../support/bridge-with-signal.js";
import { type LinkedDirectChat, startLinkedDirectChat } from "../support/linked-direct-chat.js";
import { introduce } from "../support/linked-signal-client.js";
import { reinstallSignal } from "../support/reinstall-contact.js";
import { withTimeout } from "../support/wait.js";

let chat: LinkedDirectChat | undefined;

before(async () => {
  chat = await startLinkedDirectChat();
});

after(async () => {
  await chat?.stop();
});

test("an undecryptable message shows a notice, and the message itself once the sender answers the retry request", async () => {
  const { mock, setting, phone, friend, device, directRoom } = chat!;
  await withBridgeLog(setting.bridge, async () => {
    const { alice } = setting;
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
  const { setting, friend, device, directRoom } = chat!;
  await withBridgeLog(setting.bridge, async () => {
    const { alice } = setting;
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
