import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { EMPTY_DATA_MESSAGE, type Device, type PrimaryDevice } from "@signalapp/mock-server";
import type { AuthenticatedChatConnection } from "@signalapp/libsignal-client/dist/net.js";
import { signalservice } from "../../src/proto/generated/signal.js";
import {
  AttachmentCorruptError,
  AttachmentNotFoundError,
  AttachmentTooLargeError,
} from "../../src/signal/attachments/attachment-errors.js";
import { downloadAttachmentBytes } from "../../src/signal/attachments/attachment-download.js";
import { uploadAttachment, uploadFormsOf } from "../../src/signal/attachments/attachment-upload.js";
import { SignalClient } from "../../src/signal/index.js";
import { MessageSender } from "../../src/signal/message-sender.js";
import { createNet } from "../../src/signal/net.js";
import { httpsRequestOk } from "../../src/signal/service-https.js";
import type { SignalStorage } from "../../src/signal/storage.js";
import { decryptAsContact, encryptAsContact, cdn3PointerAsContact } from "../support/contact-attachments.js";
import {
  EventLog,
  introduce,
  startConnectedClient,
  linkPhoneWithFriend,
} from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";
import { withTimeout } from "../support/wait.js";

let mock: MockSignalServer;
let testStore: TestStore;
let storage: SignalStorage;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let client: SignalClient | null = null;
let log: EventLog;
let connection: AuthenticatedChatConnection | null = null;

/** Stores an encrypted file on CDN 3 as a contact's app would, and returns its pointer. */
async function storeAsContact(plaintext: Buffer, blobOverride?: (blob: Buffer) => Buffer) {
  const { key, blob, digest } = encryptAsContact(plaintext);
  const cdnKey = randomUUID();
  await mock.server.storeAttachmentOnCdn(3, cdnKey, new Uint8Array(blobOverride ? blobOverride(blob) : blob));
  return signalservice.AttachmentPointer.create({
    cdnNumber: 3,
    cdnKey,
    key,
    digest,
    size: plaintext.length,
    contentType: "image/png",
    fileName: "holiday.png",
  });
}

async function authenticatedConnection(): Promise<AuthenticatedChatConnection> {
  const account = await storage.getAccount();
  assert.ok(account, "the store holds the linked account");
  return createNet(mock.environment).connectAuthenticatedChat(
    `${account.aci}.${account.deviceId}`,
    account.password,
    false,
    {
      onIncomingMessage: () => undefined,
      onQueueEmpty: () => undefined,
      onConnectionInterrupted: () => undefined,
    },
  );
}

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  ({ friend, phone, storage, device } = await linkPhoneWithFriend(mock, testStore));
  await introduce(phone, device);
  await introduce(friend, device);
  ({ client: client, log: log } = await startConnectedClient(mock, storage, "the client to connect"));
});

after(async () => {
  await client?.stop();
  await connection?.disconnect().catch(() => undefined);
  await testStore?.close();
  await mock?.close();
});

test("an attachment a contact sends from CDN 3 downloads and decrypts byte-identical", async () => {
  const plaintext = randomBytes(300_000);
  const pointer = await storeAsContact(plaintext);
  const timestamp = Date.now();
  await friend.sendRaw(device, {
    content: {
      dataMessage: {
        ...EMPTY_DATA_MESSAGE,
        body: "look at this",
        timestamp: BigInt(timestamp),
        attachments: [
          cdn3PointerAsContact({
            cdnKey: pointer.cdnKey ?? "",
            key: pointer.key,
            digest: pointer.digest,
            size: pointer.size,
            contentType: "image/png",
            fileName: "holiday.png",
          }),
        ],
      },
    },
    pniSignatureMessage: null,
    senderKeyDistributionMessage: null,
  });
  const event = await log.waitFor("message", (e) => e.message.body === "look at this", "the message");
  const received = event.message.attachments[0];
  assert.ok(received, "the message carries the attachment pointer");

  const downloaded = await downloadAttachmentBytes(mock.environment, received);

  assert.ok(Buffer.from(downloaded.data).equals(plaintext), "same bytes as the contact sent");
  assert.equal(downloaded.contentType, "image/png");
  assert.equal(downloaded.fileName, "holiday.png");
  assert.equal(downloaded.size, plaintext.length);
  await client?.markHandled(event.id);
});

test("a tampered attachment on the CDN is rejected, not returned", async () => {
  const pointer = await storeAsContact(randomBytes(5000), (blob) => {
    const tampered = Buffer.from(blob);
    tampered[200] = (tampered[200] ?? 0) ^ 0xff;
    return tampered;
  });
  await assert.rejects(downloadAttachmentBytes(mock.environment, pointer), (error) => {
    assert.ok(error instanceof AttachmentCorruptError, String(error));
    assert.match(error.message, /damaged or was tampered with/);
    return true;
  });
});

test("a missing or oversized attachment is a clear error", async () => {
  const pointer = await storeAsContact(randomBytes(5000));
  await assert.rejects(
    downloadAttachmentBytes(mock.environment, { ...pointer, cdnKey: randomUUID() }),
    AttachmentNotFoundError,
  );
  await assert.rejects(downloadAttachmentBytes(mock.environment, pointer, { maxBytes: 4999 }), (error) => {
    assert.ok(error instanceof AttachmentTooLargeError);
    assert.match(error.message, /5000 bytes, more than the limit of 4999 bytes/);
    return true;
  });
});

test("an uploaded attachment sent to a contact downloads on the contact's side byte-identical", async () => {
  // The client holds the device's only chat connection; the upload form comes over one, so the
  // test takes the connection over (a second socket for the device would close the first).
  await client?.stop();
  client = null;
  connection = await authenticatedConnection();
  const account = await storage.getAccount();
  assert.ok(account);
  const plaintext = randomBytes(1_500_000);

  const pointer = await uploadAttachment(
    mock.environment,
    uploadFormsOf(connection),
    {
      stream: Readable.from([plaintext.subarray(0, 700_000), plaintext.subarray(700_000)]),
      size: plaintext.length,
    },
    { contentType: "application/pdf", fileName: "report.pdf" },
  );
  assert.equal(pointer.cdnNumber, 3);
  assert.equal(pointer.size, plaintext.length);

  const timestamp = Date.now();
  const content = signalservice.Content.encode({
    dataMessage: { body: "the report", timestamp, attachments: [pointer] },
  }).finish();
  await new MessageSender(connection, storage, account).sendToServiceId(
    friend.device.aci,
    { kind: "content", content },
    { timestamp },
  );
  const { dataMessage } = await withTimeout(
    friend.waitForMessage(),
    20_000,
    "the contact to get the message",
  );
  const got = dataMessage.attachments?.[0];
  assert.ok(got?.key && got.digest && got.attachmentIdentifier?.cdnKey, "the contact got a full pointer");
  assert.equal(got.cdnNumber, 3);
  assert.equal(got.contentType, "application/pdf");
  assert.equal(got.fileName, "report.pdf");

  const blob = await httpsRequestOk(
    mock.environment,
    `${mock.url}/cdn3/attachments/${got.attachmentIdentifier.cdnKey}`,
    { maxBytes: 4 * 1024 * 1024 },
  );
  const decrypted = decryptAsContact(blob.body, got.key, got.size ?? 0, got.digest);
  assert.ok(decrypted.equals(plaintext), "the contact decrypts the same bytes");
});

test("an upload over the size limit is refused before anything is sent", async () => {
  assert.ok(connection, "the previous test opened a connection");
  await assert.rejects(
    uploadAttachment(
      mock.environment,
      uploadFormsOf(connection),
      { data: randomBytes(2000) },
      { contentType: "application/octet-stream" },
      { maxBytes: 1000 },
    ),
    AttachmentTooLargeError,
  );
});
