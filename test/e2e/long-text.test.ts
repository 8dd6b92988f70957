/**
 * Long messages both ways, the way Signal's apps send them: a 10 KB text goes as its first
 * 2 KiB inline plus a text/x-signal-plain attachment with the whole text, and arrives whole.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { EMPTY_DATA_MESSAGE } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { httpsRequestOk } from "../../src/signal/service-https.js";
import { withBridgeLog } from "../support/bridge-process.js";
import { ghostOf } from "../support/bridge-with-signal.js";
import { cdn3PointerAsContact, decryptAsContact, encryptAsContact } from "../support/contact-attachments.js";
import { type LinkedDirectChat, startLinkedDirectChat } from "../support/linked-direct-chat.js";
import { withTimeout } from "../support/wait.js";

const LONG_TEXT = "text/x-signal-plain";
const INLINE_BYTES = 2048;
// Signal's BodyRange.Style.BOLD.
const BOLD = 1;

let chat: LinkedDirectChat;

before(async () => {
  chat = await startLinkedDirectChat();
});

after(async () => {
  await chat?.stop();
});

/** About 10 KB of numbered lines, so a cut or a gap shows. */
function longText(label: string): string {
  return Array.from({ length: 200 }, (_, i) => `${label} line ${i}: the quick brown fox jumps over.`).join(
    "\n",
  );
}

const fromFriendWithBody = (body: string) => (event: MatrixEvent) =>
  event.getSender() === ghostOf(chat.friend) && event.getContent()["body"] === body;

test("a 10 KB message from Matrix reaches the contact as a cut body plus the whole text", async () => {
  const { setting, friend, mock, directRoom } = chat;
  await withBridgeLog(setting.bridge, async () => {
    const text = longText("from Matrix");
    assert.ok(Buffer.byteLength(text) > 10_000);
    await setting.alice.sendText(directRoom, text);

    const received = await withTimeout(friend.waitForMessage(), 30_000, "the contact to get the long text");
    const { body, attachments } = received.dataMessage;
    assert.ok(body && Buffer.byteLength(body) <= INLINE_BYTES, "the inline body fits Signal's limit");
    assert.ok(text.startsWith(body) && body.length > 2000, "the inline body is the start of the text");
    assert.equal(attachments?.length, 1, "one attachment: the long text");
    const pointer = attachments?.[0];
    assert.equal(pointer?.contentType, LONG_TEXT);
    assert.ok(pointer?.key && pointer.digest && pointer.attachmentIdentifier?.cdnKey, "a full pointer");
    const blob = await httpsRequestOk(
      mock.environment,
      `${mock.url}/cdn3/attachments/${pointer.attachmentIdentifier.cdnKey}`,
      { maxBytes: 1024 * 1024 },
    );
    const whole = decryptAsContact(blob.body, pointer.key, pointer.size ?? 0, pointer.digest);
    assert.equal(whole.toString("utf8"), text, "the attachment holds the whole text");
  });
});

/** The contact sends `text` as Signal's apps do, with `attachment` as its long-text attachment. */
async function contactSendsLongText(
  text: string,
  attachment: { cdnKey: string; key: Buffer; digest: Buffer; size: number },
): Promise<void> {
  const { friend, device } = chat;
  const timestamp = Date.now();
  const inline = Buffer.from(text).subarray(0, INLINE_BYTES).toString("utf8");
  const last = text.lastIndexOf("fox");
  await friend.sendRaw(
    device,
    {
      content: {
        dataMessage: {
          ...EMPTY_DATA_MESSAGE,
          timestamp: BigInt(timestamp),
          body: inline,
          // Ranges describe the whole text, also beyond the inline body.
          bodyRanges: [{ start: last, length: 3, associatedValue: { style: BOLD } }],
          attachments: [
            cdn3PointerAsContact({ ...attachment, contentType: LONG_TEXT, fileName: "signal-long.txt" }),
          ],
        },
      },
      pniSignatureMessage: null,
      senderKeyDistributionMessage: null,
    },
    { timestamp },
  );
}

test("a 10 KB message from the contact shows up whole in Matrix, formatted, with no file", async () => {
  const { setting, mock, directRoom } = chat;
  await withBridgeLog(setting.bridge, async () => {
    const text = longText("from Signal");
    const { key, blob, digest } = encryptAsContact(Buffer.from(text));
    const cdnKey = randomUUID();
    await mock.server.storeAttachmentOnCdn(3, cdnKey, new Uint8Array(blob));
    await contactSendsLongText(text, { cdnKey, key, digest, size: Buffer.byteLength(text) });

    const event = await setting.alice.waitForEvent(
      directRoom,
      fromFriendWithBody(text),
      "the whole long text",
    );
    assert.equal(event.getContent()["msgtype"], "m.text");
    assert.match(
      String(event.getContent()["formatted_body"]),
      /over\.<br>from Signal line 199: the quick brown <strong>fox<\/strong>/,
    );
    const timeline = setting.alice.client.getRoom(directRoom)?.getLiveTimeline().getEvents() ?? [];
    assert.ok(
      !timeline.some(
        (e) => e.getContent()["msgtype"] === "m.file" || e.getContent()["body"] === "signal-long.txt",
      ),
      "the long text is not shown as a file",
    );
  });
});

test("if the whole text cannot be downloaded, the inline body shows with a note", async () => {
  const { setting, directRoom } = chat;
  await withBridgeLog(setting.bridge, async () => {
    const text = longText("lost");
    const { key, digest } = encryptAsContact(Buffer.from(text));
    // Nothing is stored under this key: the CDN answers 404.
    await contactSendsLongText(text, { cdnKey: randomUUID(), key, digest, size: Buffer.byteLength(text) });

    const event = await setting.alice.waitForEvent(
      directRoom,
      (e) =>
        e.getSender() === ghostOf(chat.friend) && String(e.getContent()["body"]).startsWith("lost line 0:"),
      "the cut long text",
    );
    const body = String(event.getContent()["body"]);
    assert.match(
      body,
      /\n\n\[This message is longer; the rest could not be bridged\. Read it in a Signal app\.\]$/,
    );
    assert.ok(text.startsWith(body.slice(0, body.indexOf("\n\n[This message"))));
  });
});
