/**
 * What goes wrong on the Signal side is shown in the portal, never swallowed: a message the
 * bridge cannot decrypt (a notice, a retry request, and the message once the sender sends it
 * again), a contact whose safety number changed, a send held by a rate-limit challenge, and a
 * refused send (a notice; no status event unless configured).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { MatrixEvent } from "matrix-js-sdk";
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

test("a send refused with a rate-limit challenge is held, the user is told how to answer, and it goes out once answered", async () => {
  const { mock, setting, phone, device } = chat!;
  await withBridgeLog(setting.bridge, async () => {
    const { alice, managementRoom, bridge } = setting;
    // A stranger without a profile key gets authenticated sends, the ones the mock rate-limits.
    const stranger = await mock.server.createPrimaryDevice({ profileName: "Busy Stranger" });
    await introduce(stranger, device);
    await stranger.sendText(device, "Hi, we have not met");
    const room = await alice.acceptNextInvite("the direct portal with the stranger");
    await alice.waitForEvent(
      room,
      fromUser(ghostOf(stranger), /^Hi, we have not met$/),
      "the stranger's message",
    );
    // A stranger's first message is a message request: replying needs accepting it first.
    await alice.sendText(room, "!signal accept");
    await alice.waitForEvent(
      room,
      fromUser(ghostOf(stranger), /^Message request accepted/, "m.notice"),
      "the message request accepted",
    );

    const limit = { source: phone.device.aci, target: stranger.device.aci };
    mock.server.rateLimit(limit);
    await alice.sendText(room, "First reply, held by the challenge");
    await alice.sendText(room, "Second reply, behind the first");
    const instructions = await alice.waitForEvent(
      managementRoom,
      fromUser(bridge.botUserId, /prove you are a person/),
      "the notice asking to solve the rate-limit challenge",
    );
    const told = String(instructions.getContent()["body"]);
    assert.match(told, /https:\/\/signalcaptchas\.org\/challenge\/generate\.html/, "names the captcha page");
    assert.match(told, /submit-challenge/, "says how to answer");

    // The limit ends when the challenge is answered (the mock accepts any captcha).
    mock.server.stopRateLimiting(limit);
    await alice.sendText(
      managementRoom,
      "submit-challenge signalcaptcha://signal-hcaptcha.test.challenge.solved",
    );
    await alice.waitForEvent(
      managementRoom,
      fromUser(bridge.botUserId, /Challenge accepted/),
      "the bot accepting the challenge answer",
    );
    const bodies: string[] = [];
    for (let i = 0; i < 2; i++) {
      const received = await withTimeout(
        stranger.waitForMessage(),
        30_000,
        `held message ${i + 1} at the stranger`,
      );
      bodies.push(received.body);
    }
    assert.deepEqual(bodies, ["First reply, held by the challenge", "Second reply, behind the first"]);
  });
});

test("with the default config a refused send gets a notice but no status event, and neither does an accepted one", async () => {
  const { mock, setting, friend, device, directRoom } = chat!;
  await withBridgeLog(setting.bridge, async () => {
    const { alice } = setting;
    const isStatus = (event: MatrixEvent) => event.getType() === "com.beeper.message_send_status";
    await alice.sendText(directRoom, "This one arrives");
    const received = await withTimeout(friend.waitForMessage(), 30_000, "the contact to receive it");
    assert.equal(received.body, "This one arrives");

    mock.server.unregister(friend);
    try {
      await alice.sendText(directRoom, "This one is refused");
      await alice.waitForEvent(
        directRoom,
        fromUser(ghostOf(friend), /not delivered to Signal: .*is not registered on Signal/, "m.notice"),
        "the notice that the message was not delivered",
      );
    } finally {
      mock.server.register(friend);
    }
    // The contact's answer is bridged after both messages were handled (one room, in order), so a
    // status of either would be in the timeline before it.
    await friend.sendText(device, "Answer after both");
    await alice.waitForEvent(directRoom, fromUser(ghostOf(friend), /^Answer after both$/), "the answer");
    const events = alice.client.getRoom(directRoom)?.getLiveTimeline().getEvents() ?? [];
    assert.deepEqual(
      events.filter(isStatus).map((e) => e.getContent()["status"]),
      [],
      "no status events",
    );
  });
});
