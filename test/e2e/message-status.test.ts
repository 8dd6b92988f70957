/**
 * Message status events (com.beeper.message_send_status, as mautrix bridges send them; here
 * turned on with bridge.message_status_events, and bridge.delivery_receipts) for what a Matrix
 * user sends to Signal: accepted by Signal (and marked read by the bridge), delivered to the
 * contact's device (and to each member of a group), or refused, with a notice besides.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ReceiptType } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { withBridgeLog } from "../support/bridge-process.js";
import { fromUser, ghostOf } from "../support/bridge-with-signal.js";
import { type LinkedDirectChat, startLinkedDirectChat } from "../support/linked-direct-chat.js";
import { waitFor, withTimeout } from "../support/wait.js";

const STATUS = "com.beeper.message_send_status";

let chat: LinkedDirectChat | undefined;

before(async () => {
  chat = await startLinkedDirectChat({
    extraConfig: { bridge: { message_status_events: true, delivery_receipts: true } },
  });
});

after(async () => {
  await chat?.stop();
});

/** A matcher for status events about `eventId` whose content passes `check`. */
const statusOf =
  (eventId: string, check: (content: Record<string, unknown>) => boolean) => (event: MatrixEvent) =>
    event.getType() === STATUS &&
    event.getContent()["m.relates_to"]?.event_id === eventId &&
    check(event.getContent());

const deliveredTo = (content: Record<string, unknown>) => (content["delivered_to_users"] as string[]) ?? [];

test("a message Signal accepted gets a SUCCESS status, and the contact's delivery receipt names them", async () => {
  const { setting, friend, device, directRoom } = chat!;
  await withBridgeLog(setting.bridge, async () => {
    const { alice } = setting;
    const eventId = await alice.sendText(directRoom, "Did this arrive?");
    const received = await withTimeout(friend.waitForMessage(), 30_000, "the contact to receive it");
    assert.equal(received.body, "Did this arrive?");

    const accepted = await alice.waitForEvent(
      directRoom,
      statusOf(eventId, (c) => c["status"] === "SUCCESS" && deliveredTo(c).length === 0),
      "a SUCCESS status for the sent message, delivered to nobody yet",
    );
    assert.equal(accepted.getSender(), ghostOf(friend), "the contact's ghost speaks for the bridge here");
    assert.equal(accepted.getContent()["m.relates_to"]?.rel_type, "m.reference");
    assert.equal(accepted.getContent()["network"], `signal/${friend.device.aci}`);
    await waitFor(
      () => alice.client.getRoom(directRoom)?.getEventReadUpTo(ghostOf(friend), true) === eventId,
      { timeoutMs: 30_000, what: "the bridge's read receipt on the sent message (delivery_receipts)" },
    );

    await friend.sendReceipt(device, {
      type: ReceiptType.Delivery,
      messageTimestamps: [Number(received.dataMessage.timestamp)],
    });
    await alice.waitForEvent(
      directRoom,
      statusOf(eventId, (c) => c["status"] === "SUCCESS" && deliveredTo(c).join() === ghostOf(friend)),
      "a status saying the contact's device has the message",
    );
  });
});

test("a message to a contact who left Signal gets a FAIL_PERMANENT status and a notice", async () => {
  const { mock, setting, friend, directRoom } = chat!;
  await withBridgeLog(setting.bridge, async () => {
    const { alice } = setting;
    mock.server.unregister(friend);
    try {
      const eventId = await alice.sendText(directRoom, "Are you still there?");
      const failed = await alice.waitForEvent(
        directRoom,
        statusOf(eventId, (c) => c["status"] === "FAIL_PERMANENT"),
        "a failed status for the message",
      );
      assert.equal(failed.getContent()["reason"], "m.foreign_network_error");
      assert.match(String(failed.getContent()["message"]), /is not registered on Signal/);
      await alice.waitForEvent(
        directRoom,
        fromUser(ghostOf(friend), /not delivered to Signal: .*is not registered on Signal/, "m.notice"),
        "a notice that the message was not delivered",
      );
    } finally {
      mock.server.register(friend);
    }
  });
});

test("in a group, the status lists every member whose device confirmed delivery", async () => {
  const { mock, setting, phone, friend, device } = chat!;
  await withBridgeLog(setting.bridge, async () => {
    const { alice, bridge } = setting;
    const other = await mock.server.createPrimaryDevice({ profileName: "Other Member" });
    const group = await phone.createGroup({ title: "Status group", members: [phone, friend, other] });
    const distributionId = await friend.sendSenderKey(device);
    await friend.sendText(device, "Group hello", { sealed: true, group, distributionId });
    const groupRoom = await alice.acceptNextInvite("the group portal");
    await alice.waitForEvent(groupRoom, fromUser(ghostOf(friend), /^Group hello$/), "the group message");

    const eventId = await alice.sendText(groupRoom, "Everyone got this?");
    const accepted = await alice.waitForEvent(
      groupRoom,
      statusOf(eventId, (c) => c["status"] === "SUCCESS"),
      "a SUCCESS status for the group message",
    );
    assert.equal(accepted.getSender(), bridge.botUserId, "the bot speaks for the bridge in groups");
    for (const member of [friend, other]) {
      const received = await withTimeout(member.waitForMessage(), 30_000, "a member to receive it");
      assert.equal(received.body, "Everyone got this?");
      await member.sendReceipt(device, {
        type: ReceiptType.Delivery,
        messageTimestamps: [Number(received.dataMessage.timestamp)],
      });
      await alice.waitForEvent(
        groupRoom,
        statusOf(eventId, (c) => deliveredTo(c).includes(ghostOf(member))),
        `a status naming ${member.profileName} as a recipient`,
      );
    }
    await alice.waitForEvent(
      groupRoom,
      statusOf(eventId, (c) => [ghostOf(friend), ghostOf(other)].every((u) => deliveredTo(c).includes(u))),
      "a status naming both members",
    );
  });
});

test("a message sent from the phone gets no status: no Matrix user waits for one", async () => {
  const { mock, setting, phone, friend, device, directRoom } = chat!;
  await withBridgeLog(setting.bridge, async () => {
    const { alice, bridge } = setting;
    const timestamp = Date.now();
    const envelope = await phone.encryptSyncSent(device, "sent from my phone", {
      timestamp,
      destinationServiceId: friend.device.aci,
    });
    await withTimeout(mock.server.send(device, envelope), 10_000, "the mock to deliver the transcript");
    const fromPhone = await alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(phone), /^sent from my phone$/),
      "the phone's message",
    );
    await friend.sendReceipt(device, { type: ReceiptType.Delivery, messageTimestamps: [timestamp] });
    await waitFor(() => bridge.output().includes(`delivery of ${fromPhone.getId()} not reported`), {
      timeoutMs: 30_000,
      what: "the bridge to handle the delivery receipt of the phone's message",
    });
    assert.equal(
      alice.client
        .getRoom(directRoom)
        ?.getLiveTimeline()
        .getEvents()
        .some(statusOf(fromPhone.getId()!, () => true)),
      false,
    );
  });
});
