/**
 * End-to-bridge encryption: Alice's client really encrypts (matrix-js-sdk with its Rust crypto),
 * her DM with the bot and her portals are encrypted rooms, and everything travels both ways through
 * the bot's device, across a restart and a kill -9, and to a device she logs in later.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { type Device, EMPTY_DATA_MESSAGE, type PrimaryDevice, ReceiptType } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { httpsRequestOk } from "../../src/signal/service-https.js";
import { qrCodePng } from "../../src/bridge/qr-code.js";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { decryptAsContact, encryptAsContact, cdn3PointerAsContact } from "../support/contact-attachments.js";
import { decryptFile, encryptFile, type EncryptedFileContent } from "../support/encrypted-attachments.js";
import { introduce, scanLinkUrl } from "../support/linked-signal-client.js";
import { type MatrixUser, startMatrixUser } from "../support/matrix-user.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { waitFor, withTimeout } from "../support/wait.js";

let mock: MockSignalServer;
let world: BridgeWithSignal;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let directRoom: string;
let helloEventId: string;
const helloTimestamp = Date.now() - 60_000;
let secondDevice: MatrixUser | undefined;

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  world = await startBridgeWithSignal(
    mock,
    { encryption: { allow: true, default: true } },
    { encrypted: true },
  );
});

after(async () => {
  secondDevice?.stop();
  await world?.stop();
  await mock?.close();
});

/** An event as it travelled: encrypted on the wire, and readable by the client. */
function assertEncrypted(event: MatrixEvent, what: string): void {
  assert.ok(event.isEncrypted(), `${what} was sent encrypted`);
  assert.equal(event.isDecryptionFailure(), false, `${what} decrypts`);
}

const fromBot = (pattern: RegExp, msgtype?: string) => fromUser(world.bridge.botUserId, pattern, msgtype);

async function contactSends(text: string, timestamp = Date.now()): Promise<MatrixEvent> {
  await friend.sendText(device, text, { withProfileKey: true, timestamp });
  const event = await world.alice.waitForEvent(
    directRoom,
    (event) => event.getSender() === ghostOf(friend) && event.getContent()["body"] === text,
    `the contact's "${text}"`,
  );
  assertEncrypted(event, `the contact's "${text}"`);
  return event;
}

/**
 * Alice sends `text`; the contact receives it. A message the bridge was sending when it was killed is
 * sent again with its Signal timestamp (Signal apps drop the repeat; the mock does not): skipped.
 */
async function aliceSends(text: string): Promise<void> {
  await world.alice.sendText(directRoom, text);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const received = await withTimeout(
      friend.waitForMessage(),
      deadline - Date.now(),
      `the contact to receive "${text}"`,
    );
    if (received.body === text) return;
  }
}

test("the bot answers help in an encrypted DM, encrypted", async () => {
  await withBridgeLog(world.bridge, async () => {
    const room = world.managementRoom;
    assert.ok(world.alice.client.getCrypto()?.isEncryptionEnabledInRoom, "Alice's client encrypts");
    assert.equal(await world.alice.client.getCrypto()!.isEncryptionEnabledInRoom(room), true);
    const hello = await world.alice.waitForEvent(
      room,
      fromBot(/I am the Signal bridge bot/),
      "the bot's hello",
    );
    assertEncrypted(hello, "the bot's hello");
    await world.alice.sendText(room, "help");
    const help = await world.alice.waitForEvent(room, fromBot(/login/), "the help text");
    assertEncrypted(help, "the help text");
  });
});

test("login in the encrypted DM: the QR code image is an encrypted file that decrypts to the link", async () => {
  await withBridgeLog(world.bridge, async () => {
    const room = world.managementRoom;
    await world.alice.sendText(room, "login");
    const qr = await world.alice.waitForEvent(
      room,
      fromBot(/^sgnl:\/\/linkdevice\?uuid=/, "m.image"),
      "the QR code image",
    );
    assertEncrypted(qr, "the QR code");
    const content = qr.getContent();
    const file = content["file"] as EncryptedFileContent;
    assert.equal(content["url"], undefined, "no unencrypted URL");
    const png = decryptFile(await world.alice.download(file.url), file);
    assert.ok(png.equals(await qrCodePng(String(content["body"]))), "the image is the QR code of the link");
    device = await scanLinkUrl(mock, phone, Promise.resolve(String(content["body"])));
    const done = await world.alice.waitForEvent(
      room,
      fromBot(new RegExp(`Logged in as \\${phone.device.number}`)),
      "the login success notice",
    );
    assertEncrypted(done, "the login notice");
    await introduce(phone, device);
    await introduce(friend, device);
  });
});

test("an encrypted portal: text and a reply both ways", async () => {
  await withBridgeLog(world.bridge, async () => {
    await friend.sendText(device, "Hello from Signal", { withProfileKey: true, timestamp: helloTimestamp });
    directRoom = await world.alice.acceptNextInvite("the direct portal with Friend");
    const hello = await world.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^Hello from Signal$/),
      "the contact's message",
    );
    assertEncrypted(hello, "the contact's message");
    helloEventId = hello.getId()!;
    assert.equal(await world.alice.client.getCrypto()!.isEncryptionEnabledInRoom(directRoom), true);

    await world.alice.client.sendEvent(
      directRoom,
      "m.room.message" as never,
      {
        msgtype: "m.text",
        body: "Answering *you*",
        format: "org.matrix.custom.html",
        formatted_body: "Answering <em>you</em>",
        "m.relates_to": { "m.in_reply_to": { event_id: helloEventId } },
      } as never,
    );
    const answer = await withTimeout(friend.waitForMessage(), 30_000, "the contact to receive the reply");
    assert.equal(answer.body, "Answering you");
    assert.equal(Number(answer.dataMessage.quote?.id), helloTimestamp);
    assert.ok((answer.dataMessage.bodyRanges?.length ?? 0) > 0, "formatting kept");
  });
});

test("in the encrypted portal: a reaction, an edit and a redaction reach the contact", async () => {
  await withBridgeLog(world.bridge, async () => {
    const reactionId = (
      await world.alice.client.sendEvent(
        directRoom,
        "m.reaction" as never,
        { "m.relates_to": { rel_type: "m.annotation", event_id: helloEventId, key: "👍" } } as never,
      )
    ).event_id;
    const reaction = await withTimeout(
      friend.waitForMessage(),
      30_000,
      "the contact to receive the reaction",
    );
    assert.equal(reaction.dataMessage.reaction?.emoji, "👍");
    assert.equal(Number(reaction.dataMessage.reaction?.targetSentTimestamp), helloTimestamp);
    await world.alice.client.redactEvent(directRoom, reactionId);
    const removal = await withTimeout(
      friend.waitForMessage(),
      30_000,
      "the contact to see the reaction removed",
    );
    assert.equal(removal.dataMessage.reaction?.remove, true);

    const originalId = await world.alice.sendText(directRoom, "To be edited");
    const original = await withTimeout(friend.waitForMessage(), 30_000, "the contact to receive the message");
    await world.alice.client.sendEvent(
      directRoom,
      "m.room.message" as never,
      {
        msgtype: "m.text",
        body: "* Edited in Matrix",
        "m.new_content": { msgtype: "m.text", body: "Edited in Matrix" },
        "m.relates_to": { rel_type: "m.replace", event_id: originalId },
      } as never,
    );
    const edit = await withTimeout(friend.waitForEditMessage(), 30_000, "the contact to receive the edit");
    assert.equal(Number(edit.editMessage.targetSentTimestamp), Number(original.dataMessage.timestamp));
    assert.equal(edit.editMessage.dataMessage?.body, "Edited in Matrix");
    await world.alice.client.redactEvent(directRoom, originalId);
    const deletion = await withTimeout(friend.waitForMessage(), 30_000, "the contact to see the deletion");
    assert.equal(
      Number(deletion.dataMessage.delete?.targetSentTimestamp),
      Number(original.dataMessage.timestamp),
    );
  });
});

test("in the encrypted portal: the contact's reaction shows up encrypted", async () => {
  await withBridgeLog(world.bridge, async () => {
    const timestamp = Date.now();
    await friend.sendRaw(
      device,
      {
        content: {
          dataMessage: {
            ...EMPTY_DATA_MESSAGE,
            timestamp: BigInt(timestamp),
            reaction: {
              emoji: "🎉",
              remove: false,
              targetAuthorAci: friend.device.aci,
              targetAuthorAciBinary: null,
              targetSentTimestamp: BigInt(helloTimestamp),
            },
          },
        },
        senderKeyDistributionMessage: null,
        pniSignatureMessage: null,
      },
      { timestamp },
    );
    const reaction = await world.alice.waitForEvent(
      directRoom,
      (event) => event.getType() === "m.reaction" && event.getContent()["m.relates_to"]?.key === "🎉",
      "the contact's reaction",
    );
    assertEncrypted(reaction, "the contact's reaction");
    assert.equal(reaction.getContent()["m.relates_to"]?.event_id, helloEventId);
  });
});

test("images both ways in the encrypted portal: encrypted files, byte-identical", async () => {
  await withBridgeLog(world.bridge, async () => {
    const image = Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "binary"), randomBytes(200_000)]);
    const { key, blob, digest } = encryptAsContact(image);
    const cdnKey = `enc-${Date.now()}`;
    await mock.server.storeAttachmentOnCdn(3, cdnKey, new Uint8Array(blob));
    await friend.sendRaw(device, {
      content: {
        dataMessage: {
          ...EMPTY_DATA_MESSAGE,
          timestamp: BigInt(Date.now()),
          attachments: [
            cdn3PointerAsContact({
              cdnKey,
              key,
              digest,
              size: image.length,
              contentType: "image/png",
              fileName: "cat.png",
            }),
          ],
        },
      },
      senderKeyDistributionMessage: null,
      pniSignatureMessage: null,
    });
    const shown = await world.alice.waitForEvent(
      directRoom,
      (event) => event.getSender() === ghostOf(friend) && event.getContent()["msgtype"] === "m.image",
      "the contact's image",
    );
    assertEncrypted(shown, "the contact's image");
    const file = shown.getContent()["file"] as EncryptedFileContent;
    assert.equal(shown.getContent()["url"], undefined, "no unencrypted URL");
    const stored = await world.alice.download(file.url);
    assert.equal(stored.indexOf(image.subarray(0, 64)), -1, "the homeserver holds only ciphertext");
    assert.ok(decryptFile(stored, file).equals(image), "Alice decrypts the contact's bytes");

    const photo = Buffer.concat([Buffer.from("\xff\xd8\xff\xe0", "binary"), randomBytes(150_000)]);
    const encrypted = encryptFile(photo);
    const { content_uri } = await world.alice.client.uploadContent(encrypted.ciphertext, {
      type: "application/octet-stream",
    });
    await world.alice.client.sendEvent(
      directRoom,
      "m.room.message" as never,
      {
        msgtype: "m.image",
        body: "photo.jpg",
        file: { url: content_uri, ...encrypted.file },
        info: { mimetype: "image/jpeg", size: photo.length },
      } as never,
    );
    const received = await withTimeout(
      friend.waitForMessage(),
      30_000,
      "the contact to receive Alice's photo",
    );
    const pointer = received.dataMessage.attachments?.[0];
    assert.ok(pointer?.key && pointer.digest && pointer.attachmentIdentifier?.cdnKey, "a full pointer");
    assert.equal(pointer.contentType, "image/jpeg");
    const blobBack = await httpsRequestOk(
      mock.environment,
      `${mock.url}/cdn3/attachments/${pointer.attachmentIdentifier.cdnKey}`,
      { maxBytes: 4 * 1024 * 1024 },
    );
    const decrypted = decryptAsContact(blobBack.body, pointer.key, pointer.size ?? 0, pointer.digest);
    assert.ok(decrypted.equals(photo), "the contact gets the bytes Alice encrypted");
  });
});

test("in the encrypted portal: read receipts both ways, and the contact typing", async () => {
  await withBridgeLog(world.bridge, async () => {
    const readAt = Date.now();
    const question = await contactSends("Did you read this?", readAt);
    await world.alice.client.sendReadReceipt(question);
    const receipt = await withTimeout(
      friend.waitForReceipt(),
      30_000,
      "the contact to get Alice's read receipt",
    );
    assert.deepEqual(receipt.receiptMessage.timestamp.map(Number), [readAt]);

    const answerId = await world.alice.sendText(directRoom, "Yes, just now");
    const answer = await withTimeout(friend.waitForMessage(), 30_000, "the contact to receive the answer");
    await friend.sendReceipt(device, {
      type: ReceiptType.Read,
      messageTimestamps: [Number(answer.dataMessage.timestamp)],
    });
    await waitFor(
      () => world.alice.client.getRoom(directRoom)?.getEventReadUpTo(ghostOf(friend), true) === answerId,
      { timeoutMs: 30_000, what: "the contact's ghost to have read Alice's answer" },
    );

    const timestamp = Date.now();
    await friend.sendRaw(
      device,
      {
        content: { typingMessage: { timestamp: BigInt(timestamp), action: 0, groupId: null } },
        senderKeyDistributionMessage: null,
        pniSignatureMessage: null,
      },
      { timestamp },
    );
    await waitFor(() => world.alice.client.getRoom(directRoom)?.getMember(ghostOf(friend))?.typing === true, {
      timeoutMs: 30_000,
      what: "the contact's ghost to be shown typing",
    });
  });
});

test("after a restart and after kill -9, decryption works both ways", async () => {
  await withBridgeLog(world.bridge, async () => {
    await world.bridge.stop();
    await world.bridge.start();
    await contactSends("After a restart");
    await aliceSends("Still readable after the restart");

    await world.bridge.stop("SIGKILL");
    await world.bridge.start();
    await contactSends("After kill -9");
    await aliceSends("Still readable after kill -9");
    await world.alice.sendText(world.managementRoom, "help");
    await world.alice.waitForEvent(
      world.managementRoom,
      (event) => fromBot(/login/)(event) && event.getTs() > Date.now() - 60_000 && event.isEncrypted(),
      "the help text after kill -9",
    );
  });
});

test("a device Alice logs in later reads new messages", async () => {
  await withBridgeLog(world.bridge, async () => {
    const credentials = await world.synapse.login(world.aliceCredentials);
    secondDevice = await startMatrixUser(world.synapse.url, credentials, { encryption: true });
    // The bridge learns of the device through its sync; a message after that is shared with it.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await friend.sendText(device, "For all your devices", { withProfileKey: true });
    const event = await secondDevice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^For all your devices$/),
      "the new device to decrypt the contact's message",
      60_000,
    );
    assertEncrypted(event, "the message on the new device");
  });
});
