/**
 * Relay mode and the portal commands, as users meet them: Carol, a Matrix user without a Signal
 * login, is in Alice's direct portal with a contact. Once Alice sends !signal set-relay there,
 * what Carol writes reaches the contact from Alice's account with Carol's name (text, replies,
 * files, edits, deletes); !signal id names the chat, unset-relay stops it, delete-portal makes
 * the bridge leave the room and the contact's next message opens a new one.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { EMPTY_DATA_MESSAGE } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { withBridgeLog } from "../support/bridge-process.js";
import { fromUser, ghostOf } from "../support/bridge-with-signal.js";
import { type LinkedDirectChat, startLinkedDirectChat } from "../support/linked-direct-chat.js";
import { type MatrixUser, startMatrixUser } from "../support/matrix-user.js";
import { withTimeout } from "../support/wait.js";

let chat: LinkedDirectChat;
let carol: MatrixUser;

before(async () => {
  chat = await startLinkedDirectChat({ extraConfig: { bridge: { message_status_events: true } } });
  carol = await startMatrixUser(chat.setting.synapse.url, await chat.setting.synapse.registerUser("carol"));
  await carol.client.setDisplayName("Carol");
  await chat.setting.alice.client.invite(chat.directRoom, carol.userId);
  assert.equal(await carol.acceptNextInvite("Alice's direct portal"), chat.directRoom);
});

after(async () => {
  carol?.stop();
  await chat?.stop();
});

const room = () => chat.directRoom;
const friendGhost = () => ghostOf(chat.friend);

/** A user sends `!signal <command>` in the portal; resolves to the reply matching `pattern`. */
async function portalCommand(user: MatrixUser, command: string, pattern: RegExp): Promise<MatrixEvent> {
  await user.sendText(room(), `!signal ${command}`);
  return user.waitForEvent(room(), fromUser(friendGhost(), pattern, "m.notice"), `the reply to ${command}`);
}

async function nextMessageOfFriend(what: string) {
  return withTimeout(chat.friend.waitForMessage(), 30_000, what);
}

test("without a relay, Carol's message is refused with a notice", async () => {
  await withBridgeLog(chat.setting.bridge, async () => {
    await carol.sendText(room(), "Can anyone hear me?");
    await carol.waitForEvent(
      room(),
      fromUser(friendGhost(), /You have no Signal login for this chat/, "m.notice"),
      "the notice that Carol cannot be bridged",
    );
  });
});

test("id names the chat's Signal account; set-relay by Carol is refused, by Alice accepted", async () => {
  await withBridgeLog(chat.setting.bridge, async () => {
    const id = await portalCommand(chat.setting.alice, "id", /^Signal ACI of /);
    assert.match(String(id.getContent()["body"]), new RegExp(chat.friend.device.aci));
    await portalCommand(carol, "set-relay", /Your Signal account is not in this chat/);
    await portalCommand(chat.setting.alice, "set-relay", /^Relay mode is on/);
  });
});

let carolHello: { eventId: string; timestamp: number };

test("Carol's message reaches the contact from Alice's account, with Carol's name in bold", async () => {
  await withBridgeLog(chat.setting.bridge, async () => {
    const eventId = await carol.sendText(room(), "Hi from Carol");
    const received = await nextMessageOfFriend("the contact to get Carol's message");
    assert.equal(received.body, "Carol: Hi from Carol");
    assert.equal(received.source.aci, chat.phone.device.aci, "sent by Alice's account");
    const styled = received.dataMessage.bodyRanges?.find(
      (range) => range.associatedValue?.style !== undefined,
    );
    assert.deepEqual([styled?.start, styled?.length], [0, "Carol".length], "the name is styled (bold)");
    carolHello = { eventId, timestamp: Number(received.dataMessage.timestamp) };
  });
});

test("Carol's reply quotes the contact's message, and her image arrives with her name", async () => {
  await withBridgeLog(chat.setting.bridge, async () => {
    const questionAt = Date.now();
    await chat.friend.sendText(chat.device, "Who is Carol?", { timestamp: questionAt });
    const question = await carol.waitForEvent(
      room(),
      fromUser(friendGhost(), /^Who is Carol\?$/),
      "the contact's question",
    );
    await carol.client.sendEvent(
      room(),
      "m.room.message" as never,
      {
        msgtype: "m.text",
        body: "A friend of Alice",
        "m.relates_to": { "m.in_reply_to": { event_id: question.getId() } },
      } as never,
    );
    const answer = await nextMessageOfFriend("the contact to get Carol's reply");
    assert.equal(answer.body, "Carol: A friend of Alice");
    assert.equal(Number(answer.dataMessage.quote?.id), questionAt, "it quotes the question");

    const image = randomBytes(2000);
    const { content_uri } = await carol.client.uploadContent(image, { name: "carol.png", type: "image/png" });
    await carol.client.sendEvent(
      room(),
      "m.room.message" as never,
      {
        msgtype: "m.image",
        body: "carol.png",
        url: content_uri,
        info: { mimetype: "image/png", size: 2000 },
      } as never,
    );
    const withImage = await nextMessageOfFriend("the contact to get Carol's image");
    assert.equal(withImage.dataMessage.attachments?.length, 1, "one attachment");
    assert.equal(withImage.dataMessage.attachments?.[0]?.fileName, "carol.png");
    assert.equal(withImage.body, "Carol sent an image: carol.png");
  });
});

test("Carol's edit and redaction of her relayed message reach the contact", async () => {
  await withBridgeLog(chat.setting.bridge, async () => {
    await carol.client.sendEvent(
      room(),
      "m.room.message" as never,
      {
        msgtype: "m.text",
        body: "* Hi from Carol, edited",
        "m.new_content": { msgtype: "m.text", body: "Hi from Carol, edited" },
        "m.relates_to": { rel_type: "m.replace", event_id: carolHello.eventId },
      } as never,
    );
    const edit = await withTimeout(
      chat.friend.waitForEditMessage(),
      30_000,
      "the contact to get Carol's edit",
    );
    assert.equal(Number(edit.editMessage.targetSentTimestamp), carolHello.timestamp);
    assert.equal(edit.editMessage.dataMessage?.body, "Carol: Hi from Carol, edited");

    await carol.client.redactEvent(room(), carolHello.eventId);
    const deletion = await nextMessageOfFriend("the contact to see Carol's message deleted");
    assert.equal(Number(deletion.dataMessage.delete?.targetSentTimestamp), carolHello.timestamp);
    assert.equal(deletion.source.aci, chat.phone.device.aci, "deleted by the account that sent it");
  });
});

test("after unset-relay, Carol's messages fail again", async () => {
  await withBridgeLog(chat.setting.bridge, async () => {
    await portalCommand(chat.setting.alice, "unset-relay", /^Relay mode is off/);
    const eventId = await carol.sendText(room(), "Still there?");
    // The notice saying so was given a minute ago (notices in a row are held back); the status shows it.
    const status = await carol.waitForEvent(
      room(),
      (event) =>
        event.getType() === "com.beeper.message_send_status" &&
        event.getContent()["m.relates_to"]?.event_id === eventId,
      "the message status of Carol's message",
    );
    assert.equal(status.getContent()["status"], "FAIL_PERMANENT");
    assert.match(String(status.getContent()["message"]), /You have no Signal login for this chat/);
  });
});

test("delete-portal: the contact's ghost leaves; the contact's next message opens a new portal", async () => {
  await withBridgeLog(chat.setting.bridge, async () => {
    const { alice } = chat.setting;
    await alice.sendText(room(), "!signal delete-portal");
    await alice.waitForEvent(
      room(),
      fromUser(friendGhost(), /no longer bridged to Signal/, "m.notice"),
      "the last notice in the portal",
    );
    await alice.waitForMembership(room(), friendGhost(), "leave");

    const timestamp = Date.now();
    await chat.friend.sendRaw(
      chat.device,
      {
        content: { dataMessage: { ...EMPTY_DATA_MESSAGE, body: "Anyone?", timestamp: BigInt(timestamp) } },
        senderKeyDistributionMessage: null,
        pniSignatureMessage: null,
      } as never,
      { timestamp },
    );
    const newRoom = await alice.acceptNextInvite("the new direct portal");
    assert.notEqual(newRoom, room(), "a new room");
    await alice.waitForEvent(newRoom, fromUser(friendGhost(), /^Anyone\?$/), "the contact's message in it");
  });
});
