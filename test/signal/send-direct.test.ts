import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { IdentityKeyPair } from "@signalapp/libsignal-client";
import type { PrimaryDevice } from "@signalapp/mock-server";
import {
  attachmentMessage,
  expirationTimerUpdate,
  profileKeyUpdate,
  RateLimitError,
  sendDataMessage,
  sendDelete,
  sendEdit,
  sendReaction,
  sendReadSync,
  sendReceipt,
  sendTyping,
  SignalClient,
  stickerMessage,
  textMessage,
  UnregisteredRecipientError,
  UntrustedIdentityError,
  withQuote,
  type AccountRecord,
  type Destination,
  type SignalStorage,
} from "../../src/signal/index.js";
import { signalservice } from "../../src/proto/generated/signal.js";
import { EventLog, introduce, linkToPhone, startConnectedClient } from "../support/linked-signal-client.js";
import { startMockSignalServer, type MockSignalServer } from "../support/mock-signal-server.js";
import { openTestStore, type TestStore } from "../support/signal-test-store.js";
import { withTimeout } from "../support/wait.js";

const WAIT_MS = 20_000;

let mock: MockSignalServer;
let testStore: TestStore;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let typist: PrimaryDevice;
let storage: SignalStorage;
let account: AccountRecord;
let client: SignalClient;
let typistClient: SignalClient;
let typistLog: EventLog;
let timestamp = 1_700_000_100_000;

const nextTimestamp = (): number => ++timestamp;
const toFriend = (): Destination => ({ kind: "direct", aci: friend.device.aci });

/** A contact whose profile key we know (from contact sync, in real life): sends to them go sealed. */
async function knowProfileKey(contact: PrimaryDevice): Promise<void> {
  await storage.commit([
    {
      type: "recipient",
      recipient: {
        aci: contact.device.aci,
        pni: null,
        number: null,
        profileKey: contact.profileKey.serialize(),
        profileName: contact.profileName,
        contactName: null,
      },
    },
  ]);
}

function transcriptOf(timestampOfMessage: number) {
  return withTimeout(
    phone.waitForSyncMessage(
      (entry) => Number(entry.syncMessage.content?.sent?.timestamp) === timestampOfMessage,
    ),
    WAIT_MS,
    `the phone to get the transcript of ${timestampOfMessage}`,
  );
}

function nextMessageOf(contact: PrimaryDevice, what: string) {
  return withTimeout(contact.waitForMessage(), WAIT_MS, what);
}

before(async () => {
  mock = await startMockSignalServer();
  testStore = await openTestStore();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend" });
  typist = await mock.server.createPrimaryDevice({ profileName: "Typist" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Phone Owner", contacts: [friend] });
  storage = await testStore.store.signalStorage("@alice:localhost");
  const device = await linkToPhone(mock, storage, phone);
  await introduce(phone, device);
  const stored = await storage.getAccount();
  assert.ok(stored);
  account = stored;
  await knowProfileKey(friend);
  client = await SignalClient.open({ environment: mock.environment, storage });
  const log = new EventLog(client);
  await client.start();
  await log.waitFor("connection-state", (e) => e.state === "connected", "the client to connect");

  // Typing is dropped by the mock's simulated phones; a second client linked to the typist's
  // account is a receiver that shows it.
  const typistStorage = await testStore.store.signalStorage("@typist:localhost");
  await linkToPhone(mock, typistStorage, typist);
  ({ client: typistClient, log: typistLog } = await startConnectedClient(
    mock,
    typistStorage,
    "the typist's client to connect",
  ));
});

after(async () => {
  await client?.stop();
  await typistClient?.stop();
  await testStore?.close();
  await mock?.close();
});

test("styled text with a mention reaches the contact sealed, with our profile key; the phone gets the transcript", async () => {
  const sentAt = nextTimestamp();
  const body = "Hello \uFFFC, this is bold";
  const result = await sendDataMessage(
    client,
    toFriend(),
    textMessage(body, [
      { start: 6, length: 1, mentionAci: friend.device.aci },
      { start: 17, length: 4, style: "bold" },
    ]),
    sentAt,
  );
  assert.deepEqual(result.failed, []);
  assert.equal(result.transcriptError, null);

  const { dataMessage, source } = await nextMessageOf(friend, "the contact to get the text");
  assert.equal(source.aci, account.aci, "the contact sees who sent it");
  assert.equal(dataMessage.body, body);
  assert.equal(Number(dataMessage.timestamp), sentAt);
  assert.deepEqual(
    dataMessage.bodyRanges?.map((r) => {
      const value = r.associatedValue as { mentionAci?: string; style?: number } | null;
      return [r.start, r.length, value?.mentionAci ?? value?.style];
    }),
    [
      [6, 1, friend.device.aci],
      [17, 4, signalservice.BodyRange.Style.BOLD],
    ],
  );
  assert.deepEqual(Buffer.from(dataMessage.profileKey ?? []), Buffer.from(account.profileKey ?? []));

  const { syncMessage } = await transcriptOf(sentAt);
  const sent = syncMessage.content?.sent;
  assert.equal(sent?.message?.body, body);
  assert.deepEqual(
    sent?.unidentifiedStatus?.map((s) => [s.destinationServiceId, s.unidentified]),
    [[friend.device.aci, true]],
    "the transcript says it went sealed",
  );
});

test("a reply quotes the original message", async () => {
  const sentAt = nextTimestamp();
  await sendDataMessage(
    client,
    toFriend(),
    withQuote(textMessage("I agree"), {
      targetSentTimestamp: 1_700_000_000_777,
      targetAuthorAci: friend.device.aci,
      text: "Shall we meet?",
    }),
    sentAt,
  );
  const { dataMessage } = await nextMessageOf(friend, "the contact to get the reply");
  assert.equal(dataMessage.body, "I agree");
  assert.equal(Number(dataMessage.quote?.id), 1_700_000_000_777);
  assert.equal(dataMessage.quote?.text, "Shall we meet?");
  assert.equal(dataMessage.quote?.authorAci ?? "", friend.device.aci);
  await transcriptOf(sentAt);
});

test("reactions are added and taken back", async () => {
  const target = { targetAuthorAci: friend.device.aci, targetSentTimestamp: 1_700_000_000_778 };
  await sendReaction(client, toFriend(), { emoji: "👍", ...target }, nextTimestamp());
  const added = await nextMessageOf(friend, "the contact to get the reaction");
  assert.equal(added.dataMessage.reaction?.emoji, "👍");
  assert.equal(added.dataMessage.reaction?.remove ?? false, false);
  assert.equal(Number(added.dataMessage.reaction?.targetSentTimestamp), 1_700_000_000_778);

  const removedAt = nextTimestamp();
  await sendReaction(client, toFriend(), { emoji: "👍", remove: true, ...target }, removedAt);
  const removed = await nextMessageOf(friend, "the contact to get the removal");
  assert.equal(removed.dataMessage.reaction?.remove, true);
  const { syncMessage } = await transcriptOf(removedAt);
  assert.equal(syncMessage.content?.sent?.message?.reaction?.remove, true);
});

test("an edit replaces our earlier message, on the contact's side and on the phone", async () => {
  const originalAt = nextTimestamp();
  await sendDataMessage(client, toFriend(), textMessage("teh typo"), originalAt);
  await nextMessageOf(friend, "the contact to get the original");
  const editedAt = nextTimestamp();
  await sendEdit(client, toFriend(), originalAt, textMessage("the typo"), editedAt);
  const { editMessage } = await withTimeout(
    friend.waitForEditMessage(),
    WAIT_MS,
    "the contact to get the edit",
  );
  assert.equal(Number(editMessage.targetSentTimestamp), originalAt);
  assert.equal(editMessage.dataMessage?.body, "the typo");
  assert.equal(Number(editMessage.dataMessage?.timestamp), editedAt);
  const { syncMessage } = await transcriptOf(editedAt);
  assert.equal(Number(syncMessage.content?.sent?.editMessage?.targetSentTimestamp), originalAt);
});

test("a remote delete names the message to delete", async () => {
  const deletedAt = nextTimestamp();
  await sendDelete(client, toFriend(), 1_700_000_000_779, deletedAt);
  const { dataMessage } = await nextMessageOf(friend, "the contact to get the delete");
  assert.equal(Number(dataMessage.delete?.targetSentTimestamp), 1_700_000_000_779);
  await transcriptOf(deletedAt);
});

test("attachment pointers and stickers arrive as sent", async () => {
  const pointer = {
    cdnKey: "attachment-key",
    cdnNumber: 3,
    key: new Uint8Array(64).fill(7),
    digest: new Uint8Array(32).fill(9),
    size: 1234,
    contentType: "image/png",
    fileName: "cat.png",
  };
  await sendDataMessage(client, toFriend(), attachmentMessage([pointer], "a cat"), nextTimestamp());
  const withFile = await nextMessageOf(friend, "the contact to get the attachment");
  const got = withFile.dataMessage.attachments?.[0];
  assert.equal(withFile.dataMessage.body, "a cat");
  assert.equal(got?.attachmentIdentifier?.cdnKey, "attachment-key");
  assert.equal(got?.cdnNumber, 3);
  assert.equal(got?.fileName, "cat.png");
  assert.deepEqual(Buffer.from(got?.key ?? []), Buffer.from(pointer.key));

  await sendDataMessage(
    client,
    toFriend(),
    stickerMessage({
      packId: new Uint8Array(16).fill(1),
      packKey: new Uint8Array(32).fill(2),
      stickerId: 5,
      emoji: "😺",
      data: { ...pointer, contentType: "image/webp", fileName: undefined },
    }),
    nextTimestamp(),
  );
  const { dataMessage } = await nextMessageOf(friend, "the contact to get the sticker");
  assert.equal(dataMessage.sticker?.stickerId, 5);
  assert.equal(dataMessage.sticker?.emoji, "😺");
  assert.deepEqual(Buffer.from(dataMessage.sticker?.packId ?? []), Buffer.from(new Uint8Array(16).fill(1)));
});

test("timer updates and profile key updates carry their flags", async () => {
  await sendDataMessage(client, toFriend(), expirationTimerUpdate(3600, 2), nextTimestamp());
  const timer = await nextMessageOf(friend, "the contact to get the timer update");
  assert.equal(timer.dataMessage.flags, signalservice.DataMessage.Flags.EXPIRATION_TIMER_UPDATE);
  assert.equal(timer.dataMessage.expireTimer, 3600);

  await sendDataMessage(client, toFriend(), profileKeyUpdate(), nextTimestamp());
  const update = await nextMessageOf(friend, "the contact to get our profile key");
  assert.equal(update.dataMessage.flags, signalservice.DataMessage.Flags.PROFILE_KEY_UPDATE);
  assert.deepEqual(Buffer.from(update.dataMessage.profileKey ?? []), Buffer.from(account.profileKey ?? []));
});

test("delivery, read and viewed receipts name the messages", async () => {
  const kinds = [
    ["delivery", signalservice.ReceiptMessage.Type.DELIVERY],
    ["read", signalservice.ReceiptMessage.Type.READ],
    ["viewed", signalservice.ReceiptMessage.Type.VIEWED],
  ] as const;
  for (const [kind, wire] of kinds) {
    await sendReceipt(client, friend.device.aci, kind, [1_700_000_000_001, 1_700_000_000_002]);
    const { receiptMessage } = await withTimeout(friend.waitForReceipt(), WAIT_MS, `a ${kind} receipt`);
    assert.equal(receiptMessage.type, wire);
    assert.deepEqual(receiptMessage.timestamp?.map(Number), [1_700_000_000_001, 1_700_000_000_002]);
  }
});

test("typing started and stopped show on the contact's device", async () => {
  const toTypist: Destination = { kind: "direct", aci: typist.device.aci };
  const startedAt = nextTimestamp();
  const started = await sendTyping(client, toTypist, "started", startedAt);
  assert.deepEqual(started.failed, []);
  const shown = await typistLog.waitFor(
    "typing",
    (e) => e.timestamp === startedAt,
    "the typist's device to show us typing",
  );
  assert.equal(shown.action, "started");
  assert.equal(shown.sender.aci, account.aci);
  assert.equal(shown.groupId, null);
  await typistClient.markHandled(shown.id);

  const stoppedAt = nextTimestamp();
  await sendTyping(client, toTypist, "stopped", stoppedAt);
  const hidden = await typistLog.waitFor("typing", (e) => e.timestamp === stoppedAt, "typing to stop");
  assert.equal(hidden.action, "stopped");
  await typistClient.markHandled(hidden.id);
});

test("a read sync tells the phone which messages we read", async () => {
  await sendReadSync(client, [{ senderAci: friend.device.aci, timestamp: 1_700_000_000_003 }]);
  const { syncMessage } = await withTimeout(
    phone.waitForSyncMessage((entry) => (entry.syncMessage.read?.length ?? 0) > 0),
    WAIT_MS,
    "the phone to get the read sync",
  );
  const read = syncMessage.read?.[0];
  assert.equal(Number(read?.timestamp), 1_700_000_000_003);
  assert.deepEqual(
    Buffer.from(read?.senderAciBinary ?? []).toString("hex"),
    friend.device.aci.replaceAll("-", ""),
  );
});

test("a contact who added a device (409) and re-registered one (410) still gets the message", async () => {
  const contact = await mock.server.createPrimaryDevice({ profileName: "Busy" });
  const destination: Destination = { kind: "direct", aci: contact.device.aci };
  await sendDataMessage(client, destination, textMessage("first"), nextTimestamp());
  await nextMessageOf(contact, "the first message");

  await mock.server.createSecondaryDevice(contact);
  await sendDataMessage(client, destination, textMessage("after a new device"), nextTimestamp());
  const afterNew = await nextMessageOf(contact, "the message after the contact added a device");
  assert.equal(afterNew.dataMessage.body, "after a new device");
  assert.deepEqual(await storage.listSessionDevices("aci", contact.device.aci), [1, 2]);

  // The contact's phone was reinstalled: same account and keys, new registration id.
  (contact.device as unknown as { registrationId: number }).registrationId = 4321;
  await sendDataMessage(client, destination, textMessage("after a reinstall"), nextTimestamp());
  const afterStale = await nextMessageOf(contact, "the message after the contact re-registered");
  assert.equal(afterStale.dataMessage.body, "after a reinstall");
});

test("a rate-limited send fails with the challenge the user must solve", async () => {
  const limited = await mock.server.createPrimaryDevice({ profileName: "Popular" });
  const pair = { source: account.aci, target: limited.device.aci } as Parameters<
    typeof mock.server.rateLimit
  >[0];
  mock.server.rateLimit(pair);
  try {
    await assert.rejects(
      sendDataMessage(
        client,
        { kind: "direct", aci: limited.device.aci },
        textMessage("hi"),
        nextTimestamp(),
      ),
      (error: unknown) => {
        assert.ok(error instanceof RateLimitError, `expected a RateLimitError, got ${String(error)}`);
        assert.equal(error.challengeToken, "token");
        assert.deepEqual(error.challengeOptions, ["captcha"]);
        assert.match(error.message, /captcha/);
        return true;
      },
    );
  } finally {
    mock.server.stopRateLimiting(pair);
  }
  await sendDataMessage(
    client,
    { kind: "direct", aci: limited.device.aci },
    textMessage("later"),
    nextTimestamp(),
  );
  const { dataMessage } = await nextMessageOf(limited, "the message once the limit is lifted");
  assert.equal(dataMessage.body, "later");
});

test("an unregistered contact and a changed verified safety number are typed errors", async () => {
  const gone = await mock.server.createPrimaryDevice({ profileName: "Gone" });
  mock.server.unregister(gone);
  await assert.rejects(
    sendDataMessage(client, { kind: "direct", aci: gone.device.aci }, textMessage("hi"), nextTimestamp()),
    UnregisteredRecipientError,
  );

  const verified = await mock.server.createPrimaryDevice({ profileName: "Verified" });
  await storage.commit([
    {
      type: "identity",
      serviceId: verified.device.aci,
      identity: {
        publicKey: IdentityKeyPair.generate().publicKey.serialize(),
        verification: "verified",
        firstSeenAt: 1,
      },
    },
  ]);
  await assert.rejects(
    sendDataMessage(client, { kind: "direct", aci: verified.device.aci }, textMessage("hi"), nextTimestamp()),
    UntrustedIdentityError,
  );
  assert.equal(verified.getMessageQueueSize(), 0, "nothing reached the contact");
});
