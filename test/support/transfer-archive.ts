/**
 * A phone's side of the history transfer: builds the message history a phone exports for a newly
 * linked device (Signal's backup format: BackupInfo, then frames) and encrypts it the way the
 * phone does for the transfer archive. Tests check what they build with libsignal's own backup
 * validator, so the frames are the real format and not only what the bridge expects.
 */
import { createCipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { Aci } from "@signalapp/libsignal-client";
import { BackupKey } from "@signalapp/libsignal-client/dist/AccountKeys.js";
import { MessageBackupKey } from "@signalapp/libsignal-client/dist/MessageBackup.js";
import { backup } from "../../src/proto/generated/signal.js";

/** 16 bytes of a UUID string. */
export const uuidBytes = (uuid: string): Uint8Array =>
  new Uint8Array(Buffer.from(uuid.replace(/-/g, ""), "hex"));

/** A file the phone uploaded for the transfer, as its archive points to it. */
export interface ArchivedFile {
  cdnKey: string;
  /** AES key || MAC key. */
  key: Uint8Array;
  size: number;
  contentType: string;
  fileName?: string;
  width?: number;
  height?: number;
  /** SHA-256 of the plaintext (what a phone that downloaded the file records) ... */
  plaintextHash?: Uint8Array;
  /** ... or SHA-256 of the encrypted blob. */
  encryptedDigest?: Uint8Array;
}

export interface ArchivedReaction {
  authorId: number;
  emoji: string;
  sentAt: number;
}

export interface ArchivedMessage {
  authorId: number;
  sentAt: number;
  text?: string;
  /** The message this one replies to. */
  quote?: { authorId: number; sentAt: number; text: string };
  files?: ArchivedFile[];
  reactions?: ArchivedReaction[];
  /** Later versions of an edited message, oldest first, each sent at its own time. */
  edits?: Array<{ text: string; sentAt: number }>;
  /** Deleted for everyone: only a tombstone is left. */
  deleted?: boolean;
  /** A disappearing message: its timer (ms), started when it was sent. */
  expiresInMs?: number;
}

export interface ContactEntry {
  aci: string;
  profileKey?: Uint8Array;
  givenName?: string;
  familyName?: string;
  e164?: string | null;
}

/** Builds the frames of one account's history; ids are assigned in the order things are added. */
export class HistoryArchiveBuilder {
  private readonly frames: backup.IFrame[] = [];
  private nextId = 1;
  readonly selfId: number;

  constructor(
    private readonly owner: { aci: string; profileKey: Uint8Array; givenName: string },
    private readonly backupTimeMs = Date.now(),
  ) {
    this.frames.push({
      account: {
        profileKey: owner.profileKey,
        givenName: owner.givenName,
        accountSettings: {
          readReceipts: true,
          linkPreviews: true,
          phoneNumberSharingMode: backup.AccountData.PhoneNumberSharingMode.NOBODY,
          defaultSentMediaQuality: backup.AccountData.SentMediaQuality.STANDARD,
          autoDownloadSettings: { images: 2, audio: 2, video: 2, documents: 2 },
          appTheme: backup.AccountData.AppTheme.SYSTEM,
          callsUseLessDataSetting: backup.AccountData.CallsUseLessDataSetting.NEVER,
        },
      },
    });
    this.selfId = this.recipient({ self: {} });
  }

  contact(entry: ContactEntry): number {
    return this.recipient({
      contact: {
        aci: uuidBytes(entry.aci),
        ...(entry.e164 ? { e164: Number(entry.e164.replace(/^\+/, "")) } : {}),
        registered: {},
        ...(entry.profileKey ? { profileKey: entry.profileKey } : {}),
        profileSharing: true,
        ...(entry.givenName ? { profileGivenName: entry.givenName } : {}),
        ...(entry.familyName ? { profileFamilyName: entry.familyName } : {}),
      },
    });
  }

  group(masterKey: Uint8Array, title: string, memberAcis: string[]): number {
    return this.recipient({
      group: {
        masterKey,
        whitelisted: true,
        snapshot: {
          title: { title },
          version: 1,
          accessControl: {
            attributes: backup.Group.AccessControl.AccessRequired.MEMBER,
            members: backup.Group.AccessControl.AccessRequired.MEMBER,
            addFromInviteLink: backup.Group.AccessControl.AccessRequired.UNSATISFIABLE,
          },
          members: memberAcis.map((aci) => ({
            userId: uuidBytes(aci),
            role: backup.Group.Member.Role.DEFAULT,
          })),
        },
      },
    });
  }

  chat(recipientId: number): number {
    const id = this.nextId++;
    this.frames.push({ chat: { id, recipientId } });
    return id;
  }

  /** Adds a message to a chat; messages must be added in the order they were received. */
  message(chatId: number, message: ArchivedMessage): void {
    const direction = (sentAt: number): backup.IChatItem =>
      message.authorId === this.selfId
        ? { outgoing: { dateReceived: sentAt, sendStatus: [] } }
        : { incoming: { dateReceived: sentAt + 1, dateServerSent: sentAt, read: true, sealedSender: true } };
    const reactions = (message.reactions ?? []).map((reaction, index) => ({
      emoji: reaction.emoji,
      authorId: reaction.authorId,
      sentTimestamp: reaction.sentAt,
      sortOrder: index + 1,
    }));
    const standard = (text: string | undefined, withExtras: boolean): backup.IStandardMessage => ({
      ...(text !== undefined ? { text: { body: text, bodyRanges: [] } } : {}),
      ...(withExtras && message.quote
        ? {
            quote: {
              targetSentTimestamp: message.quote.sentAt,
              authorId: message.quote.authorId,
              text: { body: message.quote.text, bodyRanges: [] },
              type: backup.Quote.Type.NORMAL,
            },
          }
        : {}),
      attachments: withExtras ? (message.files ?? []).map(archivedAttachment) : [],
      reactions: withExtras ? reactions : [],
    });
    // An edited message is archived as its last version, with the earlier ones (the first
    // being the original, whose timestamp identifies the message) as revisions.
    const versions = [{ text: message.text, sentAt: message.sentAt }, ...(message.edits ?? [])];
    const latest = versions[versions.length - 1]!;
    const item: backup.IChatItem = {
      chatId,
      authorId: message.authorId,
      dateSent: latest.sentAt,
      ...direction(latest.sentAt),
      ...(message.expiresInMs ? { expiresInMs: message.expiresInMs, expireStartDate: message.sentAt } : {}),
      ...(message.deleted ? { remoteDeletedMessage: {} } : { standardMessage: standard(latest.text, true) }),
      revisions: versions.slice(0, -1).map((version) => ({
        chatId,
        authorId: message.authorId,
        dateSent: version.sentAt,
        ...direction(version.sentAt),
        standardMessage: standard(version.text, false),
      })),
    };
    this.frames.push({ chatItem: item });
  }

  /** Adds a frame as given (to test frames the validator refuses). */
  rawFrame(frame: backup.IFrame): void {
    this.frames.push(frame);
  }

  /** The unencrypted backup: BackupInfo and every frame, each varint-length-delimited. */
  plaintext(mediaRootBackupKey: Uint8Array): Uint8Array {
    const records = [
      backup.BackupInfo.encode({
        version: 1,
        backupTimeMs: this.backupTimeMs,
        mediaRootBackupKey,
        currentAppVersion: "test phone",
        firstAppVersion: "test phone",
      }).finish(),
      ...this.frames.map((frame) => backup.Frame.encode(frame).finish()),
    ];
    return new Uint8Array(Buffer.concat(records.flatMap((record) => [varint(record.length), record])));
  }

  private recipient(destination: backup.IRecipient): number {
    const id = this.nextId++;
    this.frames.push({ recipient: { id, ...destination } });
    return id;
  }
}

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

function archivedAttachment(file: ArchivedFile): backup.IMessageAttachment {
  return {
    pointer: {
      contentType: file.contentType,
      ...(file.fileName ? { fileName: file.fileName } : {}),
      ...(file.width ? { width: file.width, height: file.height ?? 0 } : {}),
      locatorInfo: {
        key: file.key,
        size: file.size,
        transitCdnKey: file.cdnKey,
        transitCdnNumber: 3,
        transitTierUploadTimestamp: Date.now(),
        ...(file.plaintextHash ? { plaintextHash: file.plaintextHash } : {}),
        ...(file.encryptedDigest ? { encryptedDigest: file.encryptedDigest } : {}),
      },
    },
    flag: backup.MessageAttachment.Flag.NONE,
    wasDownloaded: true,
    clientUuid: randomBytes(16),
  };
}

/** The keys a phone encrypts the transfer archive with: from the ephemeral backup key and its ACI. */
export function transferArchiveKey(ephemeralBackupKey: Uint8Array, aci: string): MessageBackupKey {
  const backupKey = new BackupKey(new Uint8Array(ephemeralBackupKey));
  return new MessageBackupKey({ backupKey, backupId: backupKey.deriveBackupId(Aci.fromUuid(aci)) });
}

/** gzip, then iv || AES-256-CBC || HMAC-SHA256 over iv and ciphertext; zeros after the gzip stream, like libsignal's padding. */
export function encryptBackup(plaintext: Uint8Array, key: MessageBackupKey, padding = 31): Uint8Array {
  const compressed = Buffer.concat([gzipSync(plaintext), Buffer.alloc(padding)]);
  const iv = randomBytes(16);
  const cipher = createCipheriv("aes-256-cbc", key.aesKey, iv);
  const body = Buffer.concat([iv, cipher.update(compressed), cipher.final()]);
  const mac = createHmac("sha256", key.hmacKey).update(body).digest();
  return new Uint8Array(Buffer.concat([body, mac]));
}

export const sha256 = (data: Uint8Array): Uint8Array =>
  new Uint8Array(createHash("sha256").update(data).digest());
