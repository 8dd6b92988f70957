// The transfer archive reader with archives built frame by frame the way a phone exports them:
// libsignal's own validator accepts them, and the reader finds what the phone put in.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { InputStream } from "@signalapp/libsignal-client/dist/io.js";
import { Purpose, validate } from "@signalapp/libsignal-client/dist/MessageBackup.js";
import { signalservice } from "../../../../src/proto/generated/signal.js";
import {
  archiveReadError,
  openArchive,
  transferArchiveKey,
  verifyArchive,
} from "../../../../src/signal/backups/archive-cipher.js";
import { TransferArchiveError } from "../../../../src/signal/backups/backup-errors.js";
import { backupRecords } from "../../../../src/signal/backups/backup-records.js";
import { decodeHistoryItems, encodeHistoryItems } from "../../../../src/signal/backups/history-item-codec.js";
import { type HistoryArchive, readHistory } from "../../../../src/signal/backups/history-reader.js";
import {
  encryptBackup,
  HistoryArchiveBuilder,
  sha256,
  transferArchiveKey as phoneArchiveKey,
} from "../../../support/transfer-archive.js";

const own = { aci: randomUUID(), profileKey: randomBytes(32), givenName: "Alice" };
const friendAci = randomUUID();
const friendProfileKey = randomBytes(32);
const otherAci = randomUUID();
const groupKey = randomBytes(32);
const mediaRootBackupKey = randomBytes(32);
const ephemeralKey = randomBytes(32);
const t0 = 1_750_000_000_000;
const photo = randomBytes(300);

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "history-reader-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The phone's history: a DM with a reply, a reaction, an edit, a deletion, a photo and a disappearing message; a group. */
function phoneHistory(): HistoryArchiveBuilder {
  const history = new HistoryArchiveBuilder(own, t0 + 1_000_000);
  const friend = history.contact({
    aci: friendAci,
    profileKey: friendProfileKey,
    givenName: "Friend",
    familyName: "Contact",
    e164: "+15550001111",
  });
  const other = history.contact({ aci: otherAci, givenName: "Other" });
  const club = history.group(groupKey, "Climbing club", [own.aci, friendAci, otherAci]);
  const dm = history.chat(friend);
  const group = history.chat(club);
  history.message(dm, {
    authorId: friend,
    sentAt: t0,
    text: "hello from the past",
    reactions: [{ authorId: history.selfId, emoji: "👍", sentAt: t0 + 50 }],
  });
  history.message(group, { authorId: other, sentAt: t0 + 10, text: "group hello" });
  history.message(dm, {
    authorId: history.selfId,
    sentAt: t0 + 100,
    text: "a reply",
    quote: { authorId: friend, sentAt: t0, text: "hello from the past" },
  });
  history.message(dm, {
    authorId: friend,
    sentAt: t0 + 200,
    text: "frist version",
    edits: [{ text: "first version, fixed", sentAt: t0 + 260 }],
  });
  history.message(dm, { authorId: friend, sentAt: t0 + 300, text: "oops", deleted: true });
  history.message(dm, { authorId: friend, sentAt: t0 + 350, text: "gone soon", expiresInMs: 7 * 86_400_000 });
  history.message(dm, {
    authorId: friend,
    sentAt: t0 + 400,
    text: "a photo",
    files: [
      {
        cdnKey: "photo-key",
        key: randomBytes(64),
        size: photo.length,
        contentType: "image/jpeg",
        fileName: "photo.jpg",
        width: 20,
        height: 10,
        plaintextHash: sha256(photo),
      },
    ],
  });
  return history;
}

class BytesStream extends InputStream {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array) {
    super();
  }
  override read(amount: number): Promise<Uint8Array<ArrayBuffer>> {
    const chunk = this.bytes.slice(this.offset, this.offset + amount);
    this.offset += chunk.length;
    return Promise.resolve(new Uint8Array(chunk));
  }
  override skip(amount: number): Promise<void> {
    this.offset += amount;
    return Promise.resolve();
  }
}

async function archiveFile(history: HistoryArchiveBuilder, name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(
    path,
    encryptBackup(history.plaintext(mediaRootBackupKey), phoneArchiveKey(ephemeralKey, own.aci)),
  );
  return path;
}

async function read(path: string, messagesPerChat = 50, refused: string[] = []): Promise<HistoryArchive> {
  const key = transferArchiveKey(ephemeralKey, own.aci);
  await verifyArchive(path, key);
  const plaintext = await openArchive(path, key);
  try {
    return await readHistory(backupRecords(plaintext), {
      ownAci: own.aci,
      messagesPerChat,
      onRefusedFrame: (reason) => refused.push(reason),
    });
  } catch (error) {
    throw archiveReadError(error);
  }
}

test("libsignal's validator accepts the test archive as a device transfer", async () => {
  const path = await archiveFile(phoneHistory(), "valid");
  const bytes = new Uint8Array(await readFile(path));
  const outcome = await validate(
    transferArchiveKey(ephemeralKey, own.aci),
    Purpose.DeviceTransfer,
    () => new BytesStream(bytes),
    BigInt(bytes.length),
  );
  assert.equal(outcome.errorMessage, null);
  assert.deepEqual(outcome.unknownFieldMessages, []);
});

test("contacts come with their profile names, number and profile key", async () => {
  const history = await read(await archiveFile(phoneHistory(), "contacts"));
  const friend = history.contacts.find((contact) => contact.aci === friendAci);
  assert.ok(friend);
  assert.equal(friend.profileGivenName, "Friend");
  assert.equal(friend.profileFamilyName, "Contact");
  assert.equal(friend.e164, "+15550001111");
  assert.deepEqual(Buffer.from(friend.profileKey!), friendProfileKey);
  assert.deepEqual(history.backupTime, t0 + 1_000_000);
});

test("chats name their peer and hold their messages in order, with what a reader sees", async () => {
  const history = await read(await archiveFile(phoneHistory(), "chats"));
  assert.equal(history.chats.length, 2);
  const [dm, group] = history.chats;
  assert.deepEqual(dm!.peer, { kind: "contact", aci: friendAci });
  assert.equal(group!.peer.kind, "group");
  assert.equal(group!.peer.kind === "group" && group!.peer.title, "Climbing club");
  assert.deepEqual(Buffer.from(group!.peer.kind === "group" ? group!.peer.masterKey : []), groupKey);
  assert.equal(group!.lastMessageAt, t0 + 10);
  assert.equal(dm!.lastMessageAt, t0 + 400);

  const items = dm!.items;
  assert.deepEqual(
    items.map((item) => [item.authorAci, item.sentAt, item.message.body || item.message.reaction?.emoji]),
    [
      [friendAci, t0, "hello from the past"],
      [own.aci, t0 + 50, "👍"],
      [own.aci, t0 + 100, "a reply"],
      // An edited message shows its last text under the timestamp of its first version.
      [friendAci, t0 + 200, "first version, fixed"],
      [friendAci, t0 + 400, "a photo"],
    ],
  );
  assert.equal(dm!.messageCount, 4, "the deleted and the disappearing message are left out");
  assert.deepEqual(history.leftOut, { deleted: 1, disappearing: 1 });

  const reaction = items[1]!.message.reaction;
  assert.equal(reaction?.targetAuthorAci, friendAci);
  assert.equal(Number(reaction?.targetSentTimestamp), t0);
  const quote = items[2]!.message.quote;
  assert.equal(Number(quote?.id), t0);
  assert.equal(quote?.authorAci, friendAci);
  assert.equal(quote?.text, "hello from the past");

  const [pointer] = items[4]!.message.attachments;
  assert.equal(pointer?.cdnKey, "photo-key");
  assert.equal(pointer?.cdnNumber, 3);
  assert.equal(pointer?.size, photo.length);
  assert.equal(pointer?.contentType, "image/jpeg");
  assert.equal(pointer?.width, 20);
  assert.equal(pointer?.key?.length, 64);
  assert.deepEqual(items[4]!.plaintextHashes.get("photo-key"), sha256(photo));
});

test("only the last messages of a chat are kept, each with its reactions", async () => {
  const history = await read(await archiveFile(phoneHistory(), "trimmed"), 2);
  const dm = history.chats[0]!;
  assert.deepEqual(
    dm.items.map((item) => item.message.body),
    ["first version, fixed", "a photo"],
  );
  assert.equal(dm.messageCount, 4);
  const first = await read(await archiveFile(phoneHistory(), "first"), 1);
  assert.deepEqual(
    first.chats[0]!.items.map((item) => item.message.body),
    ["a photo"],
  );
});

test("a frame the validator refuses is left out and the rest is read", async () => {
  const history = phoneHistory();
  history.rawFrame({
    chatItem: {
      chatId: 999,
      authorId: history.selfId,
      dateSent: t0 + 500,
      outgoing: {},
      standardMessage: { text: { body: "to nowhere" } },
    },
  });
  const refused: string[] = [];
  const archive = await read(await archiveFile(history, "refused"), 50, refused);
  assert.equal(archive.refusedFrames, 1);
  assert.equal(refused.length, 1);
  assert.equal(archive.chats[0]!.items.length, 5);
});

test("a damaged archive, or one for another key, is refused before anything is decrypted", async () => {
  const path = await archiveFile(phoneHistory(), "damaged");
  const bytes = await readFile(path);
  bytes[100] = bytes[100]! ^ 0x01;
  await writeFile(path, bytes);
  await assert.rejects(read(path), TransferArchiveError);
  const foreign = join(dir, "foreign");
  await writeFile(
    foreign,
    encryptBackup(phoneHistory().plaintext(mediaRootBackupKey), phoneArchiveKey(randomBytes(32), own.aci)),
  );
  await assert.rejects(read(foreign), /integrity check failed/);
  const short = join(dir, "short");
  await writeFile(short, randomBytes(40));
  await assert.rejects(read(short), /truncated/);
});

test("an archive whose plaintext is not a backup is refused with a reason", async () => {
  const key = phoneArchiveKey(ephemeralKey, own.aci);
  const notGzip = join(dir, "not-gzip");
  // Encrypted correctly, but gzip of nothing valid: a gzip header followed by garbage.
  const garbage = encryptBackup(new Uint8Array(0), key, 0);
  await writeFile(notGzip, garbage);
  await assert.rejects(read(notGzip), TransferArchiveError);
  const notBackup = join(dir, "not-backup");
  await writeFile(notBackup, encryptBackup(Uint8Array.from([3, 1, 2, 3]), key));
  await assert.rejects(read(notBackup), /header|backup/);
});

async function* chunksOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

async function recordsOf(chunks: AsyncIterable<Uint8Array>): Promise<Buffer[]> {
  const records: Buffer[] = [];
  for await (const record of backupRecords(chunks)) records.push(Buffer.from(record));
  return records;
}

test("records split across chunks of any size are put back together", async () => {
  const plaintext = phoneHistory().plaintext(mediaRootBackupKey);
  const whole = await recordsOf(chunksOf(plaintext, plaintext.length));
  assert.ok(whole.length > 10);
  assert.deepEqual(await recordsOf(chunksOf(plaintext, 1)), whole);
  assert.deepEqual(await recordsOf(chunksOf(plaintext, 7)), whole);
  await assert.rejects(recordsOf(chunksOf(plaintext.subarray(0, plaintext.length - 3), 100)), /cut off/);
});

test("history items survive being stored and read back", async () => {
  const history = await read(await archiveFile(phoneHistory(), "codec"));
  const items = history.chats[0]!.items;
  const back = decodeHistoryItems(encodeHistoryItems(items));
  assert.equal(back.length, items.length);
  for (const [index, item] of back.entries()) {
    assert.equal(item.authorAci, items[index]!.authorAci);
    assert.equal(item.sentAt, items[index]!.sentAt);
    assert.deepEqual(
      signalservice.DataMessage.toObject(item.message),
      signalservice.DataMessage.toObject(items[index]!.message),
    );
    assert.deepEqual([...item.plaintextHashes], [...items[index]!.plaintextHashes]);
  }
});
