/**
 * Every kind of Signal content a contact can send shows up in Matrix as something a user can
 * read: voice notes, GIFs, stickers and images with their metadata, and notices for what Matrix
 * has no place for (calls, payments, stories, messages from newer Signal versions); polls carry a
 * text fallback for clients without them.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { type Device, EMPTY_DATA_MESSAGE, type PrimaryDevice } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  ghostOf,
  loginThroughBot,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { cdn3PointerAsContact, encryptAsContact } from "../support/contact-attachments.js";
import { introduce } from "../support/linked-signal-client.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";

type DataMessage = typeof EMPTY_DATA_MESSAGE;
type Pointer = NonNullable<DataMessage["attachments"]>[number];
type Content = Parameters<PrimaryDevice["sendRaw"]>[1]["content"];

let mock: MockSignalServer;
let world: BridgeWithSignal;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let directRoom: string | undefined;
let nextTimestamp = Date.now();

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  world = await startBridgeWithSignal(mock);
  device = await loginThroughBot(world, mock, phone);
  await introduce(phone, device);
  await introduce(friend, device);
});

after(async () => {
  await world?.stop();
  await mock?.close();
});

/** Stores a file on CDN 3 as the contact's app would and returns the pointer to it. */
async function uploadAsContact(
  data: Buffer,
  details: Partial<Pointer> & { contentType: string },
): Promise<Pointer> {
  const { key, blob, digest } = encryptAsContact(data);
  const cdnKey = randomUUID();
  await mock.server.storeAttachmentOnCdn(3, cdnKey, new Uint8Array(blob));
  return {
    ...cdn3PointerAsContact({
      cdnKey,
      key,
      digest,
      size: data.length,
      contentType: details.contentType,
      fileName: details.fileName ?? "",
    }),
    ...details,
  };
}

/** The contact sends `content`; every message gets its own timestamp so none is taken for another. */
async function contactSends(content: Content): Promise<void> {
  await friend.sendRaw(device, { content, pniSignatureMessage: null, senderKeyDistributionMessage: null });
}

const dataMessage = (fields: Partial<DataMessage>): Content => ({
  dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(++nextTimestamp), ...fields },
});

/** The next event from the contact's ghost in the direct portal that `matches`. */
async function nextFromContact(matches: (event: MatrixEvent) => boolean, what: string): Promise<MatrixEvent> {
  if (!directRoom) directRoom = await world.alice.acceptNextInvite("the direct portal with the contact");
  return world.alice.waitForEvent(directRoom, (e) => e.getSender() === ghostOf(friend) && matches(e), what);
}

const noticeMatching = (pattern: RegExp) => (event: MatrixEvent) =>
  event.getContent()["msgtype"] === "m.notice" && pattern.test(String(event.getContent()["body"] ?? ""));

test("a voice note becomes an m.audio Element plays as a voice message", async () => {
  await withBridgeLog(world.bridge, async () => {
    const audio = randomBytes(20_000);
    const pointer = await uploadAsContact(audio, { contentType: "audio/aac", flags: 1 });
    await contactSends(dataMessage({ attachments: [pointer] }));
    const event = await nextFromContact((e) => e.getContent()["msgtype"] === "m.audio", "the voice note");
    const content = event.getContent();
    assert.deepEqual(content["org.matrix.msc3245.voice"], {}, "marked as a voice message");
    assert.equal(content["body"], "Voice message");
    assert.equal(content["info"]?.mimetype, "audio/aac");
    assert.equal(content["info"]?.size, audio.length);
  });
});

test("an image keeps its dimensions and blurhash; a GIF plays looped", async () => {
  await withBridgeLog(world.bridge, async () => {
    const image = await uploadAsContact(randomBytes(5_000), {
      contentType: "image/jpeg",
      fileName: "view.jpg",
      width: 640,
      height: 480,
      blurHash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    });
    const gif = await uploadAsContact(randomBytes(8_000), { contentType: "video/mp4", flags: 8 });
    await contactSends(dataMessage({ attachments: [image] }));
    await contactSends(dataMessage({ attachments: [gif] }));

    const shown = await nextFromContact((e) => e.getContent()["msgtype"] === "m.image", "the image");
    const info = shown.getContent()["info"];
    assert.deepEqual([info?.w, info?.h], [640, 480]);
    assert.equal(info?.["xyz.amorgan.blurhash"], "LEHV6nWB2yk8pyo0adR*.7kCMdnj");

    const looped = await nextFromContact((e) => e.getContent()["msgtype"] === "m.video", "the GIF");
    assert.equal(looped.getContent()["info"]?.["fi.mau.loop"], true);
    assert.equal(looped.getContent()["info"]?.["fi.mau.gif"], true);
  });
});

test("a sticker becomes an m.sticker with its emoji", async () => {
  await withBridgeLog(world.bridge, async () => {
    const data = await uploadAsContact(randomBytes(3_000), { contentType: "image/webp" });
    await contactSends(
      dataMessage({
        sticker: { packId: randomBytes(16), packKey: randomBytes(32), stickerId: 3, data, emoji: "🦊" },
      }),
    );
    const sticker = await nextFromContact((e) => e.getType() === "m.sticker", "the sticker");
    assert.equal(sticker.getContent()["body"], "🦊");
    assert.match(String(sticker.getContent()["url"]), /^mxc:\/\//);
  });
});

test("calls, payments, stories and messages from a newer Signal appear as readable notices; a poll has a text fallback", async () => {
  await withBridgeLog(world.bridge, async () => {
    await contactSends({
      callMessage: { offer: { id: 7n, type: 1, opaque: randomBytes(8) } },
    } as unknown as Content);
    await nextFromContact(
      noticeMatching(/^Started a video call\. Answer it in a Signal app\.$/),
      "the call notice",
    );

    await contactSends(
      dataMessage({
        // The mock encodes oneofs as wrapper objects named after the oneof.
        payment: {
          Item: {
            notification: { note: "for the pizza", Transaction: { mobileCoin: { receipt: randomBytes(8) } } },
          },
        },
      } as unknown as Partial<DataMessage>),
    );
    await nextFromContact(noticeMatching(/^Sent you a payment: "for the pizza"/), "the payment notice");

    await contactSends({
      storyMessage: { attachment: { textAttachment: { text: "Sunset at the lake" } }, allowsReplies: true },
    } as unknown as Content);
    await nextFromContact(noticeMatching(/^Posted a story: Sunset at the lake$/), "the story notice");

    await contactSends(
      dataMessage({
        pollCreate: { question: "Pizza or pasta?", options: ["Pizza", "Pasta"], allowMultiple: false },
      } as unknown as Partial<DataMessage>),
    );
    const poll = await nextFromContact(
      (e) => /^Poll: Pizza or pasta\?/.test(String(e.getContent()["body"])),
      "the poll",
    );
    assert.match(String(poll.getContent()["body"]), /1\. Pizza\n2\. Pasta/);

    await contactSends(dataMessage({ requiredProtocolVersion: 99 } as Partial<DataMessage>));
    await nextFromContact(
      noticeMatching(/cannot show yet\. View it in a Signal app/),
      "the newer-version notice",
    );
  });
});
