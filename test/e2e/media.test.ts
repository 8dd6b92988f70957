/**
 * Files both ways: a contact's image shows up in Matrix with the same bytes, a file Alice
 * uploads in Matrix reaches the contact, and files over media.max_size_mb become notices.
 */
import assert from "node:assert/strict";
import { withBridgeLog } from "../support/bridge-process.js";
import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Device, EMPTY_DATA_MESSAGE, type PrimaryDevice } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { httpsRequestOk } from "../../src/signal/service-https.js";
import {
  type BridgeWithSignal,
  loginThroughBot,
  startBridgeWithSignal,
  ghostOf,
} from "../support/bridge-with-signal.js";
import { decryptAsContact, encryptAsContact, cdn3PointerAsContact } from "../support/contact-attachments.js";
import { introduce } from "../support/linked-signal-client.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { withTimeout } from "../support/wait.js";

const MIB = 1024 * 1024;

let mock: MockSignalServer;
let world: BridgeWithSignal;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let directRoom: string;

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  world = await startBridgeWithSignal(mock, { media: { max_size_mb: 1 } });
});

after(async () => {
  await world?.stop();
  await mock?.close();
});

/**
 * The contact stores `plaintext` encrypted on CDN 3 (as `damage` leaves the blob) and sends it
 * as the only attachment.
 */
async function contactSendsFile(
  plaintext: Buffer,
  contentType: string,
  fileName: string,
  damage: (blob: Buffer) => Buffer = (blob) => blob,
  flags: number | null = null,
): Promise<void> {
  const { key, blob, digest } = encryptAsContact(plaintext);
  const cdnKey = randomUUID();
  await mock.server.storeAttachmentOnCdn(3, cdnKey, new Uint8Array(damage(blob)));
  await friend.sendRaw(device, {
    content: {
      dataMessage: {
        ...EMPTY_DATA_MESSAGE,
        timestamp: BigInt(Date.now()),
        attachments: [
          {
            ...cdn3PointerAsContact({
              cdnKey,
              key: key,
              digest: digest,
              size: plaintext.length,
              contentType,
              fileName,
            }),
            flags,
          },
        ],
      },
    },
    pniSignatureMessage: null,
    senderKeyDistributionMessage: null,
  });
}

/** Alice uploads `data` to her homeserver and posts it as an m.file in the portal. */
async function aliceSendsFile(data: Buffer, fileName: string, mimetype: string): Promise<void> {
  const { content_uri } = await world.alice.client.uploadContent(data, { name: fileName, type: mimetype });
  await world.alice.client.sendEvent(
    directRoom,
    "m.room.message" as never,
    { msgtype: "m.file", body: fileName, url: content_uri, info: { mimetype, size: data.length } } as never,
  );
}

/** A tone of `seconds` encoded by the system ffmpeg with `codecArgs` into a file of `extension`. */
function tone(seconds: number, extension: string, codecArgs: string[]): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "media-test-"));
  try {
    const output = join(dir, `tone${extension}`);
    execFileSync("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      // Louder in its second half, so the waveform has a shape.
      `aevalsrc='if(lt(t,${seconds / 2}),0.2,0.8)*sin(440*2*PI*t)':s=48000:d=${seconds}`,
      ...codecArgs,
      output,
    ]);
    return readFileSync(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An image or video made by the system ffmpeg from a lavfi `source`, encoded with `codecArgs`. */
function picture(source: string, extension: string, codecArgs: string[]): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "media-test-"));
  try {
    const output = join(dir, `picture${extension}`);
    execFileSync("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      source,
      ...codecArgs,
      output,
    ]);
    return readFileSync(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first stream's codec and size as ffprobe reads them. */
function probedVideo(data: Buffer, extension: string): { codec: string; width: number; height: number } {
  const dir = mkdtempSync(join(tmpdir(), "media-test-"));
  try {
    const input = join(dir, `probe${extension}`);
    writeFileSync(input, data);
    const output = execFileSync("ffprobe", [
      "-v",
      "error",
      "-show_entries",
      "stream=codec_name,width,height",
      "-of",
      "json",
      input,
    ]).toString();
    const stream = (
      JSON.parse(output) as { streams: { codec_name: string; width: number; height: number }[] }
    ).streams[0];
    return { codec: stream?.codec_name ?? "", width: stream?.width ?? 0, height: stream?.height ?? 0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Alice posts `data` as an event of `type` with `content` (url and info.mimetype/size added). */
async function alicePosts(
  type: string,
  data: Buffer,
  mimetype: string,
  content: Record<string, unknown>,
): Promise<void> {
  const { content_uri } = await world.alice.client.uploadContent(data, { type: mimetype });
  const info = { ...(content["info"] as object | undefined), mimetype, size: data.length };
  await world.alice.client.sendEvent(
    directRoom,
    type as never,
    { ...content, url: content_uri, info } as never,
  );
}

/** The next file the contact receives, decrypted, with its pointer. */
async function contactReceivesFile(what: string) {
  const received = await withTimeout(friend.waitForMessage(), 60_000, `the contact to get ${what}`);
  assert.equal(received.dataMessage.attachments?.length, 1, "one attachment");
  const pointer = received.dataMessage.attachments?.[0];
  assert.ok(pointer?.key && pointer.digest && pointer.attachmentIdentifier?.cdnKey, "a full pointer");
  const blob = await httpsRequestOk(
    mock.environment,
    `${mock.url}/cdn3/attachments/${pointer.attachmentIdentifier.cdnKey}`,
    { maxBytes: 4 * MIB },
  );
  return { pointer, data: decryptAsContact(blob.body, pointer.key, pointer.size ?? 0, pointer.digest) };
}

/** The duration of an audio file in seconds, as ffprobe reads it from the container. */
function probedSeconds(data: Buffer, extension: string): { seconds: number; codec: string } {
  const dir = mkdtempSync(join(tmpdir(), "media-test-"));
  try {
    const input = join(dir, `probe${extension}`);
    writeFileSync(input, data);
    const output = execFileSync("ffprobe", [
      "-v",
      "error",
      "-show_entries",
      "format=duration:stream=codec_name",
      "-of",
      "json",
      input,
    ]).toString();
    const parsed = JSON.parse(output) as { format: { duration: string }; streams: { codec_name: string }[] };
    return { seconds: Number(parsed.format.duration), codec: parsed.streams[0]?.codec_name ?? "" };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const withBody = (pattern: RegExp) => (event: MatrixEvent) =>
  pattern.test(String(event.getContent()["body"] ?? ""));

test("Alice links her Signal account through the bot", async () => {
  await withBridgeLog(world.bridge, async () => {
    device = await loginThroughBot(world, mock, phone);
    await introduce(phone, device);
    await introduce(friend, device);
  });
});

test("a contact's image shows up as an m.image with the same bytes, mimetype and size", async () => {
  await withBridgeLog(world.bridge, async () => {
    const image = randomBytes(300_000);
    await contactSendsFile(image, "image/png", "holiday.png");
    directRoom = await world.alice.acceptNextInvite("the direct portal with the contact");
    const event = await world.alice.waitForEvent(
      directRoom,
      (e) => e.getSender() === ghostOf(friend) && e.getContent()["msgtype"] === "m.image",
      "the contact's image",
    );
    const content = event.getContent();
    assert.equal(content["body"], "holiday.png");
    assert.equal(content["info"]?.mimetype, "image/png");
    assert.equal(content["info"]?.size, image.length);
    assert.match(String(content["url"]), /^mxc:\/\/localhost\//);
    assert.ok(
      (await world.alice.download(String(content["url"]))).equals(image),
      "Alice downloads the same bytes",
    );
  });
});

test("a file Alice uploads in the portal reaches the contact byte-identical", async () => {
  await withBridgeLog(world.bridge, async () => {
    const file = Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(200_000)]);
    await aliceSendsFile(file, "notes.pdf", "application/pdf");

    const received = await withTimeout(friend.waitForMessage(), 30_000, "the contact to get the file");
    assert.equal(received.dataMessage.attachments?.length, 1, "one attachment");
    const pointer = received.dataMessage.attachments?.[0];
    assert.ok(pointer?.key && pointer.digest && pointer.attachmentIdentifier?.cdnKey, "a full pointer");
    assert.equal(pointer.contentType, "application/pdf");
    assert.equal(pointer.fileName, "notes.pdf");
    assert.equal(pointer.size, file.length);
    const blob = await httpsRequestOk(
      mock.environment,
      `${mock.url}/cdn3/attachments/${pointer.attachmentIdentifier.cdnKey}`,
      { maxBytes: 4 * MIB },
    );
    const decrypted = decryptAsContact(blob.body, pointer.key, pointer.size ?? 0, pointer.digest);
    assert.ok(decrypted.equals(file), "the contact decrypts the bytes Alice uploaded");
  });
});

test("files over media.max_size_mb become notices in both directions", async () => {
  await withBridgeLog(world.bridge, async () => {
    const big = randomBytes(1.5 * MIB);
    await aliceSendsFile(big, "video.bin", "application/octet-stream");
    await world.alice.waitForEvent(
      directRoom,
      withBody(/not delivered to Signal: the file is 1\.5 MiB, more than this bridge's limit of 1\.0 MiB/),
      "a notice that Alice's file is too large",
    );

    await contactSendsFile(big, "application/octet-stream", "big.bin");
    await world.alice.waitForEvent(
      directRoom,
      (e) =>
        e.getSender() === ghostOf(friend) &&
        e.getContent()["msgtype"] === "m.notice" &&
        /An attachment \(big\.bin\) could not be bridged/.test(String(e.getContent()["body"])),
      "a notice that the contact's file could not be bridged",
    );
  });
});

test("a damaged attachment becomes a notice, and the bridge keeps bridging", async () => {
  await withBridgeLog(world.bridge, async () => {
    await contactSendsFile(randomBytes(100_000), "image/jpeg", "tampered.jpg", (blob) => {
      const damaged = Buffer.from(blob);
      damaged[blob.length - 40] = (damaged[blob.length - 40] ?? 0) ^ 0xff;
      return damaged;
    });
    await world.alice.waitForEvent(
      directRoom,
      (e) =>
        e.getSender() === ghostOf(friend) &&
        /An attachment \(tampered\.jpg\) could not be bridged/.test(String(e.getContent()["body"])),
      "a notice that the damaged file could not be bridged",
    );
    const image = randomBytes(50_000);
    await contactSendsFile(image, "image/png", "after.png");
    const event = await world.alice.waitForEvent(
      directRoom,
      (e) => e.getSender() === ghostOf(friend) && e.getContent()["body"] === "after.png",
      "the next image",
    );
    assert.ok((await world.alice.download(String(event.getContent()["url"]))).equals(image));
  });
});

test("a Matrix voice message (Ogg/Opus) reaches the contact as an AAC voice note of the same length", async () => {
  await withBridgeLog(world.bridge, async () => {
    const ogg = tone(3, ".ogg", ["-c:a", "libopus", "-b:a", "32k"]);
    const { content_uri } = await world.alice.client.uploadContent(ogg, {
      name: "Voice message.ogg",
      type: "audio/ogg",
    });
    await world.alice.client.sendEvent(
      directRoom,
      "m.room.message" as never,
      {
        msgtype: "m.audio",
        body: "Voice message.ogg",
        url: content_uri,
        info: { mimetype: "audio/ogg", size: ogg.length, duration: 3000 },
        "org.matrix.msc1767.audio": { duration: 3000, waveform: [0, 512, 1024] },
        "org.matrix.msc3245.voice": {},
      } as never,
    );

    const received = await withTimeout(friend.waitForMessage(), 60_000, "the contact to get the voice note");
    const pointer = received.dataMessage.attachments?.[0];
    assert.ok(pointer?.key && pointer.digest && pointer.attachmentIdentifier?.cdnKey, "a full pointer");
    assert.ok(["audio/aac", "audio/mp4"].includes(pointer.contentType ?? ""), `got ${pointer.contentType}`);
    assert.equal((pointer.flags ?? 0) & 1, 1, "flagged as a voice message");
    assert.equal(pointer.fileName, "Voice message.m4a");
    const blob = await httpsRequestOk(
      mock.environment,
      `${mock.url}/cdn3/attachments/${pointer.attachmentIdentifier.cdnKey}`,
      { maxBytes: 4 * MIB },
    );
    const decrypted = decryptAsContact(blob.body, pointer.key, pointer.size ?? 0, pointer.digest);
    const probed = probedSeconds(decrypted, ".m4a");
    assert.equal(probed.codec, "aac");
    assert.ok(Math.abs(probed.seconds - 3) < 0.2, `the voice note lasts ${probed.seconds} s, not 3 s`);
  });
});

test("a contact's voice note shows up as a Matrix voice message with its duration and waveform", async () => {
  await withBridgeLog(world.bridge, async () => {
    const aac = tone(4, ".m4a", ["-c:a", "aac", "-b:a", "48k", "-ac", "1"]);
    await contactSendsFile(aac, "audio/aac", "", undefined, 1);
    const event = await world.alice.waitForEvent(
      directRoom,
      (e) =>
        e.getSender() === ghostOf(friend) &&
        e.getContent()["msgtype"] === "m.audio" &&
        e.getContent()["org.matrix.msc3245.voice"] !== undefined,
      "the contact's voice note",
    );
    const content = event.getContent();
    assert.equal(content["body"], "Voice message");
    const audio = content["org.matrix.msc1767.audio"] as { duration?: number; waveform?: number[] };
    assert.ok(Math.abs((audio.duration ?? 0) - 4000) < 200, `duration ${audio.duration} ms, not 4000`);
    assert.equal(content["info"]?.duration, audio.duration);
    const waveform = audio.waveform ?? [];
    assert.equal(waveform.length, 100);
    assert.ok(waveform.every((value) => Number.isInteger(value) && value >= 0 && value <= 1024));
    assert.equal(Math.max(...waveform), 1024);
    const firstHalf = Math.max(...waveform.slice(5, 45));
    const secondHalf = Math.min(...waveform.slice(55, 95));
    assert.ok(firstHalf < secondHalf, "the louder second half shows in the waveform");
    assert.ok((await world.alice.download(String(content["url"]))).equals(aac), "the same bytes");
  });
});

test("a Matrix sticker reaches the contact as the same image, with its size and name", async () => {
  await withBridgeLog(world.bridge, async () => {
    const png = picture("testsrc=size=256x256:duration=1", ".png", ["-frames:v", "1"]);
    await alicePosts("m.sticker", png, "image/png", { body: "🎉", info: { w: 256, h: 256 } });
    const { pointer, data } = await contactReceivesFile("the sticker");
    assert.equal(pointer.contentType, "image/png");
    assert.equal(pointer.fileName, "🎉");
    assert.equal(pointer.width, 256);
    assert.equal(pointer.height, 256);
    assert.ok(data.equals(png), "the same bytes: Signal shows PNG");
  });
});

test("an animated WebM sticker reaches the contact as a looping H.264 MP4 (a Signal GIF)", async () => {
  await withBridgeLog(world.bridge, async () => {
    const webm = picture("testsrc=size=128x128:rate=10:duration=1", ".webm", [
      "-c:v",
      "libvpx-vp9",
      "-b:v",
      "200k",
    ]);
    await alicePosts("m.sticker", webm, "video/webm", { body: "dancing", info: { w: 128, h: 128 } });
    const { pointer, data } = await contactReceivesFile("the animated sticker");
    assert.equal(pointer.contentType, "video/mp4");
    assert.equal(pointer.fileName, "dancing.mp4");
    assert.equal((pointer.flags ?? 0) & 8, 8, "flagged as a GIF, which Signal loops without sound");
    assert.deepEqual(probedVideo(data, ".mp4"), { codec: "h264", width: 128, height: 128 });
  });
});

test("an image in a format Signal does not show (BMP) reaches the contact as PNG", async () => {
  await withBridgeLog(world.bridge, async () => {
    const bmp = picture("testsrc=size=64x48:duration=1", ".bmp", ["-frames:v", "1"]);
    await alicePosts("m.room.message", bmp, "image/bmp", { msgtype: "m.image", body: "scan.bmp" });
    const { pointer, data } = await contactReceivesFile("the image");
    assert.equal(pointer.contentType, "image/png");
    assert.equal(pointer.fileName, "scan.png");
    assert.deepEqual(probedVideo(data, ".png"), { codec: "png", width: 64, height: 48 });
  });
});
