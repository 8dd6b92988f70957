/**
 * Linking through the bot and chatting both ways: the bridge process, a real Synapse, Signal's
 * mock server with a simulated phone and contacts, and a Matrix user driven by matrix-js-sdk.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Device, EMPTY_DATA_MESSAGE, type PrimaryDevice, ReceiptType } from "@signalapp/mock-server";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { introduce, scanLinkUrl } from "../support/linked-signal-client.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { waitFor, withTimeout } from "../support/wait.js";

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let directRoom: string;
/** Signal timestamps and Matrix event IDs of the first messages of the direct chat. */
const helloTimestamp = Date.now() - 60_000;
let helloEventId: string;
let replyTimestamp: number;
let replyEventId: string;

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  setting = await startBridgeWithSignal(mock);
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

test("login: the bot shows a QR code, the phone scans it, the bot names the linked account", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await setting!.alice.sendText(setting!.managementRoom, "login");
    const qr = await setting!.alice.waitForEvent(
      setting!.managementRoom,
      fromUser(setting!.bridge.botUserId, /^sgnl:\/\/linkdevice\?uuid=/, "m.image"),
      "the QR code image",
    );
    assert.equal(qr.getContent()["info"]?.mimetype, "image/png");
    assert.match(String(qr.getContent()["url"]), /^mxc:\/\//);

    device = await scanLinkUrl(mock, phone, Promise.resolve(String(qr.getContent()["body"])));
    await setting!.alice.waitForEvent(
      setting!.managementRoom,
      fromUser(
        setting!.bridge.botUserId,
        new RegExp(`Logged in as \\${phone.device.number ?? "(no number)"}`),
      ),
      "the success notice",
    );
    await introduce(phone, device);
    await introduce(friend, device);

    await setting!.alice.sendText(setting!.managementRoom, "ping");
    await setting!.alice.waitForEvent(
      setting!.managementRoom,
      fromUser(setting!.bridge.botUserId, /Logged in as .*Connection: /),
      "the ping answer",
    );
  });
});

test("a contact's message opens a direct portal named after them, and the reply reaches them", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await friend.sendText(device, "Hello from Signal", { withProfileKey: true, timestamp: helloTimestamp });
    directRoom = await setting!.alice.acceptNextInvite("the direct portal with Friend");
    const hello = await setting!.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^Hello from Signal$/),
      "the contact's message",
    );
    helloEventId = hello.getId()!;
    assert.equal(setting!.alice.client.getRoom(directRoom)?.name, "Friend Contact");

    replyEventId = await setting!.alice.sendText(directRoom, "Hi back from Matrix");
    const received = await withTimeout(friend.waitForMessage(), 30_000, "the contact to receive the reply");
    assert.equal(received.body, "Hi back from Matrix");
    replyTimestamp = Number(received.dataMessage.timestamp);
    assert.equal(received.source.aci, phone.device.aci, "the reply comes from Alice's Signal account");
    const transcript = await withTimeout(
      phone.waitForSyncMessage(
        (entry) => entry.syncMessage.content?.sent?.message?.body === "Hi back from Matrix",
      ),
      30_000,
      "the phone to get the sent transcript",
    );
    assert.equal(transcript.syncMessage.content?.sent?.destinationServiceId, friend.device.aci);
  });
});

test("a message sent from the phone shows up in the portal as Alice's own Signal ghost", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const envelope = await phone.encryptSyncSent(device, "typed on my phone", {
      timestamp: Date.now(),
      destinationServiceId: friend.device.aci,
    });
    await withTimeout(mock.server.send(device, envelope), 10_000, "the mock to deliver the transcript");
    await setting!.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(phone), /^typed on my phone$/),
      "the phone's message",
    );
  });
});

type RawContent = Parameters<PrimaryDevice["sendRaw"]>[1];

/** The contact sends raw content (the mock has no helper for edits, deletes and reactions). */
async function sendRawFromFriend(content: RawContent["content"], timestamp: number): Promise<void> {
  await friend.sendRaw(
    device,
    { content, senderKeyDistributionMessage: null, pniSignatureMessage: null },
    { timestamp },
  );
}

/** A data message from the contact with only the given fields set. */
async function sendFromFriend(
  fields: Partial<typeof EMPTY_DATA_MESSAGE>,
  timestamp = Date.now(),
): Promise<void> {
  await sendRawFromFriend(
    { dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(timestamp), ...fields } },
    timestamp,
  );
}

test("reactions travel both ways, and removing one on Matrix removes it on Signal", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await sendFromFriend({
      reaction: {
        emoji: "👍",
        remove: false,
        targetAuthorAci: phone.device.aci,
        targetAuthorAciBinary: null,
        targetSentTimestamp: BigInt(replyTimestamp),
      },
    });
    const thumbs = await setting!.alice.waitForEvent(
      directRoom,
      (event) =>
        event.getType() === "m.reaction" &&
        event.getContent()["m.relates_to"]?.event_id === replyEventId &&
        event.getContent()["m.relates_to"]?.key === "👍",
      "the contact's reaction on Alice's reply",
    );
    assert.equal(thumbs.getSender(), ghostOf(friend));

    const { event_id: heartId } = await setting!.alice.client.sendEvent(
      directRoom,
      "m.reaction" as never,
      {
        "m.relates_to": { rel_type: "m.annotation", event_id: helloEventId, key: "❤️" },
      } as never,
    );
    const heart = await withTimeout(
      friend.waitForMessage(),
      30_000,
      "the contact to receive Alice's reaction",
    );
    assert.equal(heart.dataMessage.reaction?.emoji, "❤️");
    assert.equal(Number(heart.dataMessage.reaction?.targetSentTimestamp), helloTimestamp);
    assert.equal(heart.dataMessage.reaction?.remove, false);

    await setting!.alice.client.redactEvent(directRoom, heartId);
    const removal = await withTimeout(
      friend.waitForMessage(),
      30_000,
      "the contact to see the reaction removed",
    );
    assert.equal(removal.dataMessage.reaction?.emoji, "❤️");
    assert.equal(removal.dataMessage.reaction?.remove, true);
  });
});

test("a Matrix reply quotes the Signal message; a Matrix edit and redaction reach the contact", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await setting!.alice.client.sendEvent(
      directRoom,
      "m.room.message" as never,
      {
        msgtype: "m.text",
        body: "Answering you",
        "m.relates_to": { "m.in_reply_to": { event_id: helloEventId } },
      } as never,
    );
    const answer = await withTimeout(friend.waitForMessage(), 30_000, "the contact to receive the reply");
    assert.equal(answer.body, "Answering you");
    assert.equal(Number(answer.dataMessage.quote?.id), helloTimestamp);

    await setting!.alice.client.sendEvent(
      directRoom,
      "m.room.message" as never,
      {
        msgtype: "m.text",
        body: "* Hi back from Matrix, edited",
        "m.new_content": { msgtype: "m.text", body: "Hi back from Matrix, edited" },
        "m.relates_to": { rel_type: "m.replace", event_id: replyEventId },
      } as never,
    );
    const edit = await withTimeout(friend.waitForEditMessage(), 30_000, "the contact to receive the edit");
    assert.equal(Number(edit.editMessage.targetSentTimestamp), replyTimestamp);
    assert.equal(edit.editMessage.dataMessage?.body, "Hi back from Matrix, edited");

    await setting!.alice.client.redactEvent(directRoom, replyEventId);
    const deletion = await withTimeout(
      friend.waitForMessage(),
      30_000,
      "the contact to see the message deleted",
    );
    assert.equal(Number(deletion.dataMessage.delete?.targetSentTimestamp), replyTimestamp);
  });
});

test("a Signal edit replaces the Matrix message and a remote delete redacts it", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const editedAt = Date.now();
    await sendRawFromFriend(
      {
        editMessage: {
          targetSentTimestamp: BigInt(helloTimestamp),
          dataMessage: {
            ...EMPTY_DATA_MESSAGE,
            body: "Hello from Signal (edited)",
            timestamp: BigInt(editedAt),
          },
        },
      },
      editedAt,
    );
    await setting!.alice.waitForEvent(
      directRoom,
      (event) =>
        event.getContent()["m.relates_to"]?.rel_type === "m.replace" &&
        event.getContent()["m.relates_to"]?.event_id === helloEventId &&
        event.getContent()["m.new_content"]?.body === "Hello from Signal (edited)",
      "the edit of the contact's message",
    );

    await sendFromFriend({ delete: { targetSentTimestamp: BigInt(helloTimestamp) } });
    await setting!.alice.waitForEvent(
      directRoom,
      (event) => event.getType() === "m.room.redaction" && event.event.redacts === helloEventId,
      "the redaction of the deleted message",
    );
  });
});

test("read receipts travel both ways", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const readAt = Date.now();
    await sendFromFriend({ body: "Did you read this?" }, readAt);
    const question = await setting!.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^Did you read this\?$/),
      "the contact's question",
    );
    await setting!.alice.client.sendReadReceipt(question);
    const receipt = await withTimeout(
      friend.waitForReceipt(),
      30_000,
      "the contact to get Alice's read receipt",
    );
    assert.deepEqual(receipt.receiptMessage.timestamp.map(Number), [readAt]);

    const answerId = await setting!.alice.sendText(directRoom, "Yes, just now");
    const answer = await withTimeout(friend.waitForMessage(), 30_000, "the contact to receive the answer");
    await friend.sendReceipt(device, {
      type: ReceiptType.Read,
      messageTimestamps: [Number(answer.dataMessage.timestamp)],
    });
    // A real receipt, not the one the SDK assumes for the sender of a later event (the ghost
    // sends the answer's message status after it).
    await waitFor(
      () => setting!.alice.client.getRoom(directRoom)?.getEventReadUpTo(ghostOf(friend), true) === answerId,
      { timeoutMs: 30_000, what: "the contact's ghost to have read Alice's answer" },
    );
  });
});

test("a group message opens the group's portal with its title, and the reply reaches every member", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const other = await mock.server.createPrimaryDevice({ profileName: "Other Member" });
    const group = await phone.createGroup({ title: "Weekend plans", members: [phone, friend, other] });
    const distributionId = await friend.sendSenderKey(device);
    await friend.sendText(device, "Who brings the snacks?", { sealed: true, group, distributionId });

    const groupRoom = await setting!.alice.acceptNextInvite("the group portal");
    await setting!.alice.waitForEvent(
      groupRoom,
      fromUser(ghostOf(friend), /^Who brings the snacks\?$/),
      "the group message",
    );
    assert.equal(setting!.alice.client.getRoom(groupRoom)?.name, "Weekend plans");

    await setting!.alice.sendText(groupRoom, "I will!");
    for (const member of [friend, other]) {
      const received = await withTimeout(member.waitForMessage(), 30_000, "a member to receive the reply");
      assert.equal(received.body, "I will!");
      assert.deepEqual(
        Buffer.from(received.dataMessage.groupV2?.masterKey ?? []),
        Buffer.from(group.masterKey),
        "the reply is a message of the group",
      );
    }
  });
});

test("a burst of 50 messages across a crash (kill -9) and a clean restart arrives exactly once, in order", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const bodies = Array.from({ length: 50 }, (_, i) => `burst message ${String(i + 1).padStart(2, "0")}`);
    const burstOf = () =>
      (setting!.alice.client.getRoom(directRoom)?.getLiveTimeline().getEvents() ?? [])
        .map((event) => String(event.getContent()["body"] ?? ""))
        .filter((body) => body.startsWith("burst message"));

    // The mock resolves a send once the device acknowledges it, so envelopes are encrypted in
    // order and queued; their delivery is awaited only at the end. The crash hits mid-burst.
    // A Signal message is identified by its author and timestamp, so each gets its own, as real
    // clients ensure (the mock would stamp messages made in the same millisecond alike).
    const firstTimestamp = Date.now();
    const queue = async (slice: string[]) => {
      const deliveries: Promise<void>[] = [];
      for (const body of slice) {
        const timestamp = firstTimestamp + bodies.indexOf(body);
        deliveries.push(mock.server.send(device, await friend.encryptText(device, body, { timestamp })));
      }
      return Promise.all(deliveries);
    };
    const firstPart = queue(bodies.slice(0, 20));
    await setting!.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^burst message 05$/),
      "the first messages",
    );
    await setting!.bridge.stop("SIGKILL");
    const whileCrashed = queue(bodies.slice(20, 35));
    await setting!.bridge.start();
    await setting!.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^burst message 25$/),
      "messages after the crash",
    );
    assert.equal(await setting!.bridge.stop("SIGTERM"), 0, "a clean stop exits 0");
    const whileStopped = queue(bodies.slice(35));
    await setting!.bridge.start();
    await withTimeout(
      Promise.all([firstPart, whileCrashed, whileStopped]),
      60_000,
      "the mock to deliver the burst",
    );

    await setting!.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^burst message 50$/),
      "the last message",
      60_000,
    );
    assert.deepEqual(burstOf(), bodies, "every message once, in the order it was sent");
  });
});

test("unlinking the bridge from the phone is reported in the management room", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await mock.unlinkDevice(phone, device);
    await setting!.alice.waitForEvent(
      setting!.managementRoom,
      fromUser(setting!.bridge.botUserId, /Your Signal login ended: .*Send "login" to link the bridge again/),
      "the notice that the login ended",
    );
    await setting!.alice.sendText(setting!.managementRoom, "ping");
    await setting!.alice.waitForEvent(
      setting!.managementRoom,
      fromUser(setting!.bridge.botUserId, /You are not logged in/),
      "ping after unlink",
    );
  });
});
