// The messages of a backup as the client's own messages: each chat item that a linked device can
// show becomes the DataMessage it was sent as (text, quote, attachments, sticker, contact card),
// and each of its reactions a reaction DataMessage, so consumers handle history like live messages.
import { Aci } from "@signalapp/libsignal-client";
import { backup, signalservice } from "../../proto/generated/signal.js";

/** One message (or reaction) of the history, by the sender it came from. */
export interface HistoryItem {
  authorAci: string;
  /**
   * The timestamp that identifies the message on Signal (with the author): for an edited message
   * that of its first version, which replies and reactions name; for a reaction, when it was made.
   */
  sentAt: number;
  /** What was sent: for an edited message, its last version. */
  message: signalservice.DataMessage;
  /**
   * SHA-256 of the plaintext of files whose pointer carries no digest, by CDN key: a phone that
   * downloaded a file keeps that hash instead, and downloads check it.
   */
  plaintextHashes: Map<string, Uint8Array>;
}

/** Why a chat item was not turned into history items. */
export type LeftOutReason =
  "deleted" | "disappearing" | "view-once" | "update" | "unsupported" | "unknown-author";

export type ChatItemResult = { items: HistoryItem[] } | { leftOut: LeftOutReason };

/** The ACI a recipient id of the backup stands for (ourselves included), or null for anything else. */
export type AciOfRecipient = (recipientId: number) => string | null;

/** The message of a chat item followed by its reactions, oldest first; or why it was left out. */
export function historyItemsOf(item: backup.IChatItem, aciOf: AciOfRecipient): ChatItemResult {
  const authorAci = aciOf(Number(item.authorId ?? 0));
  if (authorAci === null) return { leftOut: "unknown-author" };
  // A message that disappears is left out: the bridge could not make it disappear in Matrix in step.
  if (Number(item.expiresInMs ?? 0) > 0) return { leftOut: "disappearing" };
  const first = item.revisions?.[0];
  const sentAt = Number((first ?? item).dateSent ?? 0);
  const hashes = new Map<string, Uint8Array>();
  const converted = dataMessageOf(item, aciOf, hashes);
  if ("leftOut" in converted) return converted;
  const message = signalservice.DataMessage.create({ ...converted.fields, timestamp: sentAt });
  const items: HistoryItem[] = [{ authorAci, sentAt, message, plaintextHashes: hashes }];
  const reactions = [...converted.reactions].sort(
    (a, b) => Number(a.sortOrder ?? 0) - Number(b.sortOrder ?? 0),
  );
  for (const reaction of reactions) {
    const reactorAci = aciOf(Number(reaction.authorId ?? 0));
    if (reactorAci === null || !reaction.emoji) continue;
    const reactedAt = Number(reaction.sentTimestamp ?? 0);
    items.push({
      authorAci: reactorAci,
      sentAt: reactedAt,
      message: signalservice.DataMessage.create({
        timestamp: reactedAt,
        reaction: { emoji: reaction.emoji, targetAuthorAci: authorAci, targetSentTimestamp: sentAt },
      }),
      plaintextHashes: new Map(),
    });
  }
  return { items };
}

interface Converted {
  fields: signalservice.IDataMessage;
  reactions: backup.IReaction[];
}

function dataMessageOf(
  item: backup.IChatItem,
  aciOf: AciOfRecipient,
  hashes: Map<string, Uint8Array>,
): Converted | { leftOut: LeftOutReason } {
  if (item.standardMessage) return standardMessageOf(item.standardMessage, aciOf, hashes);
  if (item.stickerMessage?.sticker) {
    const { sticker } = item.stickerMessage;
    return {
      fields: {
        sticker: {
          packId: sticker.packId ?? null,
          packKey: sticker.packKey ?? null,
          stickerId: sticker.stickerId ?? 0,
          emoji: sticker.emoji ?? null,
          data: pointerOf(sticker.data, 0, hashes),
        },
      },
      reactions: item.stickerMessage.reactions ?? [],
    };
  }
  if (item.contactMessage?.contact) {
    return {
      fields: { contact: [contactOf(item.contactMessage.contact)] },
      reactions: item.contactMessage.reactions ?? [],
    };
  }
  if (item.remoteDeletedMessage) return { leftOut: "deleted" };
  if (item.viewOnceMessage) return { leftOut: "view-once" };
  if (item.updateMessage) return { leftOut: "update" };
  return { leftOut: "unsupported" };
}

function standardMessageOf(
  standard: backup.IStandardMessage,
  aciOf: AciOfRecipient,
  hashes: Map<string, Uint8Array>,
): Converted {
  const fields: signalservice.IDataMessage = {};
  if (standard.text?.body) {
    fields.body = standard.text.body;
    fields.bodyRanges = bodyRangesOf(standard.text.bodyRanges);
  }
  const attachments = (standard.attachments ?? []).map((attachment) =>
    pointerOf(attachment.pointer, flagsOf(attachment.flag), hashes),
  );
  if (attachments.length > 0) fields.attachments = attachments;
  const previews = (standard.linkPreview ?? []).filter((preview) => preview.url);
  if (previews.length > 0) {
    fields.preview = previews.map((preview) => ({
      url: preview.url ?? "",
      title: preview.title ?? null,
      description: preview.description ?? null,
      ...(preview.date ? { date: Number(preview.date) } : {}),
      ...(preview.image ? { image: pointerOf(preview.image, 0, hashes) } : {}),
    }));
  }
  const quote = standard.quote;
  if (quote) {
    const authorAci = aciOf(Number(quote.authorId ?? 0));
    if (authorAci !== null) {
      fields.quote = {
        // Unset when the phone no longer had the quoted message: the reply then links to nothing.
        id: quote.targetSentTimestamp ? Number(quote.targetSentTimestamp) : 0,
        authorAci,
        text: quote.text?.body ?? null,
        bodyRanges: bodyRangesOf(quote.text?.bodyRanges),
        attachments: (quote.attachments ?? []).map((attachment) => ({
          contentType: attachment.contentType ?? null,
          fileName: attachment.fileName ?? null,
        })),
      };
    }
  }
  return { fields, reactions: standard.reactions ?? [] };
}

function bodyRangesOf(ranges: backup.IBodyRange[] | null | undefined): signalservice.IBodyRange[] {
  const converted: signalservice.IBodyRange[] = [];
  for (const range of ranges ?? []) {
    const place = { start: range.start ?? 0, length: range.length ?? 0 };
    if (range.mentionAci && range.mentionAci.length === 16) {
      converted.push({ ...place, mentionAci: Aci.fromUuidBytes(range.mentionAci).getRawUuid() });
    } else if (range.style) {
      // The two formats number their styles alike (BOLD 1 ... MONOSPACE 5).
      converted.push({ ...place, style: range.style as number as signalservice.BodyRange.Style });
    }
  }
  return converted;
}

function flagsOf(flag: backup.MessageAttachment.Flag | null | undefined): number {
  const Flags = signalservice.AttachmentPointer.Flags;
  switch (flag) {
    case backup.MessageAttachment.Flag.VOICE_MESSAGE:
      return Flags.VOICE_MESSAGE;
    case backup.MessageAttachment.Flag.BORDERLESS:
      return Flags.BORDERLESS;
    case backup.MessageAttachment.Flag.GIF:
      return Flags.GIF;
    default:
      return 0;
  }
}

/**
 * The attachment pointer of a backup's file pointer. Only a file on the transit tier (uploaded
 * for the transfer, or recently sent) has a place to download it from; other pointers keep their
 * description and no location, so showing them falls back to a notice.
 */
function pointerOf(
  file: backup.IFilePointer | null | undefined,
  flags: number,
  hashes: Map<string, Uint8Array>,
): signalservice.IAttachmentPointer {
  const locator = file?.locatorInfo;
  const pointer: signalservice.IAttachmentPointer = {
    contentType: file?.contentType || null,
    fileName: file?.fileName || null,
    size: locator?.size ?? 0,
    ...(flags ? { flags } : {}),
    ...(file?.width && file.height ? { width: file.width, height: file.height } : {}),
    ...(file?.caption ? { caption: file.caption } : {}),
    ...(file?.blurHash ? { blurHash: file.blurHash } : {}),
  };
  if (locator?.transitCdnKey && locator.key && locator.key.length > 0) {
    pointer.cdnKey = locator.transitCdnKey;
    pointer.cdnNumber = locator.transitCdnNumber ?? 0;
    pointer.key = locator.key;
    if (locator.encryptedDigest && locator.encryptedDigest.length > 0)
      pointer.digest = locator.encryptedDigest;
    else if (locator.plaintextHash && locator.plaintextHash.length > 0)
      hashes.set(locator.transitCdnKey, locator.plaintextHash);
    if (locator.transitTierUploadTimestamp)
      pointer.uploadTimestamp = Number(locator.transitTierUploadTimestamp);
  }
  return pointer;
}

function contactOf(contact: backup.IContactAttachment): signalservice.DataMessage.IContact {
  const name = contact.name;
  return {
    ...(name
      ? {
          name: {
            givenName: name.givenName || null,
            familyName: name.familyName || null,
            prefix: name.prefix || null,
            suffix: name.suffix || null,
            middleName: name.middleName || null,
            nickname: name.nickname || null,
          },
        }
      : {}),
    number: (contact.number ?? []).map((phone) => ({
      value: phone.value ?? null,
      type: (phone.type ?? 0) as number,
      label: phone.label || null,
    })),
    email: (contact.email ?? []).map((email) => ({
      value: email.value ?? null,
      type: (email.type ?? 0) as number,
      label: email.label || null,
    })),
    organization: contact.organization || null,
  };
}
