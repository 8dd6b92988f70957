import type { Bridge } from "matrix-appservice-bridge";
import {
  decryptionFailedNotice,
  longTextAttachmentOf,
  type MatrixAction,
  type MessageContent,
  safetyNumberChangedNotice,
  signalCallToMatrix,
  signalEditToMatrix,
  signalMessageToMatrix,
  signalStoryToMatrix,
  type SignalToMatrixContext,
  type UploadedMedia,
  withLongText,
} from "../convert/index.js";
import type { Logger } from "../logger.js";
import {
  type BufferedSignalEvent,
  type GroupMessageContext,
  groupIdOf,
  type HistoryItem,
  type SignalEventOf,
  type signalservice,
  syncContacts,
} from "../signal/index.js";
import type { PortalRow, Store } from "../store/index.js";
import type { ContactNameDirectory } from "./contact-names.js";
import type { DisappearingMessages } from "./disappearing-messages.js";
import { bestName, type ContactNames, type Ghosts } from "./ghosts.js";
import type { Login } from "./logins.js";
import type { MediaRelay } from "./media.js";
import { pendingMediaSlots } from "./media-slots.js";
import type { MessageRequests } from "./message-requests.js";
import type { MessageStatusReporter } from "./message-status.js";
import { redact, type SendingUser } from "./matrix/room-sender.js";
import { Portals } from "./portals.js";
import type { DoublePuppets } from "./puppets/index.js";
import type { RelayOutcome } from "./relay-outcome.js";

/** The portal of a group, brought up to the group revision a message names (see GroupPortalSync). */
export type GroupPortalOf = (
  login: Login,
  masterKey: Uint8Array,
  context: GroupMessageContext | undefined,
) => Promise<PortalRow>;

export interface SignalToMatrixOptions {
  bridge: Bridge;
  store: Store;
  ghosts: Ghosts;
  portals: Portals;
  names: ContactNameDirectory;
  groupPortalOf: GroupPortalOf;
  /** The phone changed its storage service contents: bring contacts and chats up to date. */
  syncChats: (login: Login) => Promise<void>;
  /** The Matrix user whose linked Signal account is `aci`: mentions of them point at their own account. */
  linkedUserOf: (aci: string) => string | undefined;
  doublePuppets: DoublePuppets;
  media: MediaRelay;
  status: MessageStatusReporter;
  disappearing: DisappearingMessages;
  /** Message requests and blocked chats. */
  requests: MessageRequests;
  logger: Logger;
}

/** Where a Signal message belongs and who said it. */
interface Origin {
  login: Login;
  authorAci: string;
  sentAt: number;
  /** The other party of a direct chat (the sender, or the recipient of our own sent message). */
  contactAci: string;
  groupMasterKey: Uint8Array | null;
  /** The group revision the message was sent at, and the change that made it when attached. */
  groupContext: GroupMessageContext | undefined;
  /** When the countdown of our own disappearing message started, if the phone said. */
  expirationStartedAt?: number | undefined;
  /** For history shown late: the time its events are dated with in Matrix. */
  shownAt?: number | undefined;
}

/** Who sends an event into a portal, and what marks the event as theirs. */
interface Speaker {
  user: SendingUser;
  /** The double puppet marker when speaking as the user's own account; empty for a ghost. */
  marker: Record<string, string>;
}

/** Bridges events of a Signal account into its portals, as the ghosts of their authors. */
export class SignalToMatrix {
  constructor(private readonly options: SignalToMatrixOptions) {}

  async handle(login: Login, event: BufferedSignalEvent): Promise<RelayOutcome> {
    return (await this.route(login, event)) ?? "bridged";
  }

  private async route(login: Login, event: BufferedSignalEvent): Promise<RelayOutcome | void> {
    const blocked = await this.blockedChatOf(login, event);
    if (blocked) return this.skip(event, `${blocked} is blocked`);
    // Whoever is active gets their profile fetched again in the background once it is old enough.
    if (event.sender) this.options.names.refreshIfDue(login, event.sender.aci);
    const own = login.client.account.aci;
    switch (event.type) {
      case "message":
        return this.bridgeMessage(this.origin(login, event, event.sender.aci, event.message), event.message);
      case "sync-sent": {
        // Decoded protobuf: the transcript's message is a DataMessage instance, typed as its properties.
        const message = event.sent.message as signalservice.DataMessage | null | undefined;
        const contactAci = event.destinationServiceId ?? own;
        const edit = event.sent.editMessage;
        if (!message && edit?.dataMessage) {
          return this.bridgeEdit(
            { ...this.origin(login, event, contactAci), authorAci: own },
            Number(edit.targetSentTimestamp ?? 0),
            edit.dataMessage as signalservice.DataMessage,
          );
        }
        if (!message) return this.skip(event, "a sent transcript without a data message");
        // Replying from the phone accepts a message request, as in Signal's apps.
        const request = await this.options.store.bridge.portalByKey(
          Portals.directKey(login.userId, contactAci),
        );
        if (request && !event.groupMasterKey && (await this.options.requests.isPending(request))) {
          await this.options.requests.accept(login.userId, request);
        }
        const expirationStartedAt = Number(event.sent.expirationStartTimestamp ?? 0) || undefined;
        return this.bridgeMessage(
          { ...this.origin(login, event, contactAci, message), authorAci: own, expirationStartedAt },
          message,
        );
      }
      case "sync-read":
        // The phone read these messages (when it sent the sync): what disappears starts its countdown.
        await this.options.disappearing.phoneRead(login.userId, event.reads, event.timestamp);
        return this.phoneRead(login, event.reads);
      case "edit":
        return this.bridgeEdit(
          this.origin(login, event, event.sender.aci),
          event.targetTimestamp,
          event.message,
        );
      case "reaction":
        return this.bridgeMessage(this.origin(login, event, event.sender.aci), {
          timestamp: event.timestamp,
          reaction: {
            emoji: event.emoji,
            remove: event.remove,
            targetAuthorAci: event.targetAuthorAci,
            targetSentTimestamp: event.targetTimestamp,
          },
        } as signalservice.DataMessage);
      case "delete":
        return this.bridgeMessage(this.origin(login, event, event.sender.aci), {
          timestamp: event.timestamp,
          delete: { targetSentTimestamp: event.targetTimestamp },
        } as signalservice.DataMessage);
      case "contacts-sync":
        return this.syncContacts(login, event.blob);
      case "sync-blocked":
        return this.options.requests.followBlockedList(login.userId, event);
      case "sync-message-request":
        return this.options.requests.followPhoneAnswer(login.userId, event);
      case "storage-changed":
        return this.options.syncChats(login);
      case "call":
        return this.bridgeCall(login, event);
      case "story":
        return this.bridgeStory(login, event);
      case "receipt":
        return this.bridgeReceipt(login, event);
      case "typing":
        return this.bridgeTyping(login, event);
      case "decryption-error":
        return this.bridgeDecryptionError(login, event);
      default:
        return this.skip(event, "not bridged yet");
    }
  }

  /**
   * A message the login's account sent to a direct chat from Matrix that Matrix shows the way
   * Signal does (a timer change as a notice): bridged as if the phone had sent it.
   */
  async sentFromMatrix(
    login: Login,
    portal: PortalRow,
    message: signalservice.IDataMessage,
    sentAt: number,
  ): Promise<void> {
    const own = login.client.account.aci;
    await this.bridgeMessage(
      {
        login,
        authorAci: own,
        sentAt,
        contactAci: portal.chatId,
        groupMasterKey: null,
        groupContext: undefined,
      },
      { ...message, timestamp: sentAt } as signalservice.DataMessage,
    );
  }

  private origin(
    login: Login,
    event: { sender: { aci: string } | null; timestamp: number; groupMasterKey?: Uint8Array | null },
    contactAci: string,
    message?: signalservice.IDataMessage | null,
  ): Origin {
    return {
      login,
      authorAci: event.sender?.aci ?? contactAci,
      sentAt: event.timestamp,
      contactAci,
      groupMasterKey: event.groupMasterKey ?? null,
      groupContext: groupContextOf(message),
    };
  }

  /** Stores the phone's contact list and renames the ghosts that already exist. */
  private async syncContacts(login: Login, blob: signalservice.IAttachmentPointer): Promise<void> {
    const { store, ghosts, names, logger } = this.options;
    const contacts = await syncContacts({
      environment: login.client.environment,
      storage: await store.signalStorage(login.userId),
      blob,
    });
    logger.info(`contact list of ${login.userId}: ${contacts.length} contacts`);
    for (const contact of contacts) {
      if (await ghosts.known(contact.aci))
        await ghosts.ensure(contact.aci, await names.namesOf(login, contact.aci, { current: true }));
    }
  }

  /** A contact's device got our messages: the Matrix senders get a message status saying so. */
  private async bridgeDelivery(login: Login, event: SignalEventOf<"receipt">): Promise<void> {
    const { store, ghosts, status } = this.options;
    if (!status.reportsDeliveries) return;
    const recipient = ghosts.userIdOf(event.sender.aci);
    for (const timestamp of event.timestamps) {
      for (const ref of await store.bridge.eventsOfMessageAnywhere(login.client.account.aci, timestamp)) {
        const portal = await store.bridge.portalByRoom(ref.roomId);
        if (portal && this.isVisibleTo(portal, login)) await status.delivered(portal, ref.eventId, recipient);
      }
    }
  }

  /** A contact read (or viewed) our messages: their ghost's read marker moves there. */
  private async bridgeReceipt(login: Login, event: SignalEventOf<"receipt">): Promise<void> {
    if (event.receipt === "delivery") return this.bridgeDelivery(login, event);
    const { store, ghosts, portals } = this.options;
    const ownAci = login.client.account.aci;
    const latest = new Map<string, string>();
    for (const timestamp of [...event.timestamps].sort((a, b) => a - b)) {
      for (const ref of await store.bridge.eventsOfMessageAnywhere(ownAci, timestamp))
        latest.set(ref.roomId, ref.eventId);
    }
    this.options.logger.debug(
      `${event.receipt} receipt from ${event.sender.aci} for ${event.timestamps.join(",")}: ${latest.size} room(s)`,
    );
    const ghostUserId = ghosts.userIdOf(event.sender.aci);
    for (const [roomId, eventId] of latest) {
      const portal = await store.bridge.portalByRoom(roomId);
      if (!portal || !this.isVisibleTo(portal, login)) continue;
      await portals.ensureGhostJoined(portal, ghostUserId);
      await this.options.bridge.getIntent(ghostUserId).sendReadReceipt(roomId, eventId);
    }
  }

  private async bridgeTyping(login: Login, event: SignalEventOf<"typing">): Promise<RelayOutcome | void> {
    const tables = this.options.store.bridge;
    const key = event.groupId
      ? Portals.groupKey(Buffer.from(event.groupId).toString("base64"))
      : Portals.directKey(login.userId, event.sender.aci);
    const portal = await tables.portalByKey(key);
    if (!portal) return this.skip(event, "typing in a chat without a portal");
    // The user typing on another of their devices: with a double puppet their ghost stays out of
    // the room, and Matrix shows no one typing as them from elsewhere.
    const own = event.sender.aci === login.client.account.aci;
    if (own && this.options.doublePuppets.requesterOf(login.userId)) {
      return this.skip(event, "the user's own typing on another device");
    }
    const ghostUserId = this.options.ghosts.userIdOf(event.sender.aci);
    await this.options.portals.ensureGhostJoined(portal, ghostUserId);
    await this.options.bridge.getIntent(ghostUserId).sendTyping(portal.roomId, event.action === "started");
  }

  /** Says so in the sender's chat; the client already asked the sender to send it again. */
  private async bridgeDecryptionError(
    login: Login,
    event: SignalEventOf<"decryption-error">,
  ): Promise<RelayOutcome | void> {
    if (!event.sender) return this.skip(event, `undecryptable envelope of unknown sender: ${event.reason}`);
    this.options.logger.warn(
      `undecryptable message from ${event.sender.aci} for ${login.userId}: ${event.reason}`,
    );
    const { sender } = event;
    await this.senderNotice(login, { ...event, sender }, (ctx) => decryptionFailedNotice(sender.aci, ctx));
  }

  /** A call cannot be bridged; the user learns of it and answers on a phone. */
  private async bridgeCall(login: Login, event: SignalEventOf<"call">): Promise<RelayOutcome | void> {
    const content = signalCallToMatrix(event.call);
    if (!content) return this.skip(event, "a call message nobody needs to see");
    await this.senderNotice(login, event, () => content);
  }

  /** Stories have no place in Matrix; a notice in the author's chat (or the group) says what was posted. */
  private async bridgeStory(login: Login, event: SignalEventOf<"story">): Promise<void> {
    await this.senderNotice(login, event, (ctx) => signalStoryToMatrix(event.story, ctx));
  }

  /** A notice about something the sender did, as their ghost in their chat (or the group). */
  private async senderNotice(
    login: Login,
    event: { sender: { aci: string }; timestamp: number; groupMasterKey?: Uint8Array | null },
    contentOf: (ctx: SignalToMatrixContext) => MessageContent | Promise<MessageContent>,
  ): Promise<void> {
    const origin = this.origin(login, event, event.sender.aci);
    const portal = await this.portalOf(origin);
    const names = await this.options.names.namesOf(login, event.sender.aci);
    await this.postNotice(origin, portal, names, await contentOf(this.context(origin, portal, names)));
  }

  /** A contact's safety number changed: a notice in the direct chat, if there is one. */
  async identityChanged(login: Login, serviceId: string): Promise<void> {
    const portal = await this.options.store.bridge.portalByKey(Portals.directKey(login.userId, serviceId));
    if (!portal) return;
    const origin = this.origin(login, { sender: { aci: serviceId }, timestamp: Date.now() }, serviceId);
    const names = await this.options.names.namesOf(login, serviceId);
    await this.postNotice(
      origin,
      portal,
      names,
      await safetyNumberChangedNotice(serviceId, this.context(origin, portal, names)),
    );
  }

  /** Posts a notice as the contact's ghost; `contactNames` are the contact's current names. */
  private async postNotice(
    origin: Origin,
    portal: PortalRow,
    contactNames: ContactNames,
    content: MessageContent,
  ): Promise<void> {
    const key = `${origin.authorAci}:${origin.sentAt}:notice`;
    const intent = await this.options.ghosts.ensure(origin.contactAci, contactNames);
    await this.options.portals.ensureGhostJoined(portal, this.options.ghosts.userIdOf(origin.contactAci));
    await this.options.portals.send(intent, portal, "m.room.message", { ...content }, key);
  }

  private isVisibleTo(portal: PortalRow, login: Login): boolean {
    return portal.kind === "group" || portal.receiver === login.userId;
  }

  /** The chat (contact or group) of an event from someone else, when the user blocked it. */
  private async blockedChatOf(login: Login, event: BufferedSignalEvent): Promise<string | undefined> {
    if (!event.sender || event.sender.aci === login.client.account.aci) return undefined;
    const { requests } = this.options;
    const masterKey = "groupMasterKey" in event ? event.groupMasterKey : null;
    const groupId = masterKey
      ? groupIdOf(masterKey)
      : event.type === "typing" && event.groupId
        ? Buffer.from(event.groupId).toString("base64")
        : undefined;
    if (groupId && (await requests.isBlocked(login.userId, groupId))) return `group ${groupId}`;
    return (await requests.isBlocked(login.userId, event.sender.aci)) ? event.sender.aci : undefined;
  }

  private skip(event: BufferedSignalEvent, why: string): RelayOutcome {
    this.options.logger.debug(`${event.type} ${event.id}: ${why}`);
    return "skipped";
  }

  /**
   * Shows one message (or reaction) of the history the phone transferred in `portal`, dated when
   * it was sent on Signal, as its author's ghost. Parts shown before (a resumed backfill, or the
   * message came live too) are not shown again.
   */
  async backfill(login: Login, portal: PortalRow, item: HistoryItem): Promise<void> {
    const origin: Origin = {
      login,
      authorAci: item.authorAci,
      sentAt: item.sentAt,
      contactAci: portal.kind === "direct" ? portal.chatId : item.authorAci,
      groupMasterKey: null,
      groupContext: undefined,
      shownAt: item.sentAt,
    };
    const reaction = item.message.reaction;
    if (reaction?.targetAuthorAci) {
      // Shown already: converting it again would replace the reaction with itself.
      const shown = await this.options.store.bridge.reaction(
        portal.roomId,
        item.authorAci,
        reaction.targetAuthorAci,
        Number(reaction.targetSentTimestamp ?? 0),
      );
      if (shown?.emoji === reaction.emoji) return;
    }
    await this.bridgeInto(origin, portal, item.message, item.plaintextHashes);
  }

  private async bridgeMessage(origin: Origin, message: signalservice.DataMessage): Promise<void> {
    await this.bridgeInto(origin, await this.portalOf(origin), message);
  }

  private async bridgeInto(
    origin: Origin,
    portal: PortalRow,
    received: signalservice.DataMessage,
    plaintextHashes?: ReadonlyMap<string, Uint8Array>,
  ): Promise<void> {
    const message = await this.withWholeText(origin, received);
    const authorNames = await this.options.names.namesOf(origin.login, origin.authorAci);
    const ctx = this.context(origin, portal, authorNames);
    const draft = await signalMessageToMatrix(message, origin.authorAci, ctx);
    const media = await this.uploadMedia(origin, portal, message, draft, plaintextHashes);
    await this.options.disappearing.followTimer(portal, message);
    // Without media to put in, the draft is the message as it is sent (conversion is pure).
    const actions =
      media.size === 0 ? draft : await signalMessageToMatrix(message, origin.authorAci, { ...ctx, media });
    const sent = await this.apply(origin, portal, actions, message, authorNames);
    await this.expireLater(origin, portal, message, sent);
  }

  /**
   * Schedules a disappearing message's events, also those sent before a restart: ours count
   * down from their sending, others' from when they are read.
   */
  private async expireLater(
    origin: Origin,
    portal: PortalRow,
    message: signalservice.IDataMessage,
    sent: string[],
  ): Promise<void> {
    // Most messages have no timer: their events need not be looked up.
    if (!this.options.disappearing.disappears(message)) return;
    const recorded = await this.options.store.bridge.eventsOfMessage(
      portal.roomId,
      origin.authorAci,
      origin.sentAt,
    );
    const own = origin.authorAci === origin.login.client.account.aci;
    await this.options.disappearing.bridged({
      portal,
      message,
      sentAt: origin.sentAt,
      startedAt: own ? (origin.expirationStartedAt ?? origin.sentAt) : undefined,
      eventIds: [...sent, ...recorded.map((ref) => ref.eventId)],
    });
  }

  private async bridgeEdit(
    origin: Origin,
    targetTimestamp: number,
    received: signalservice.DataMessage,
  ): Promise<void> {
    const message = await this.withWholeText(origin, received);
    const portal = await this.portalOf(origin);
    const authorNames = await this.options.names.namesOf(origin.login, origin.authorAci);
    const ctx = this.context(origin, portal, authorNames);
    const edit: signalservice.IEditMessage = { targetSentTimestamp: targetTimestamp, dataMessage: message };
    // An edit of a bridged message only replaces its text; one never bridged is bridged whole.
    const target = { authorAci: origin.authorAci, sentTimestamp: targetTimestamp };
    const draft = await signalEditToMatrix(edit, origin.authorAci, ctx);
    const media =
      (await ctx.eventIdsOf(target)).length > 0
        ? ctx.media
        : await this.uploadMedia(origin, portal, message, draft);
    const actions = await signalEditToMatrix(edit, origin.authorAci, { ...ctx, media });
    await this.options.disappearing.followTimer(portal, message);
    await this.expireLater(
      origin,
      portal,
      message,
      await this.apply(origin, portal, actions, message, authorNames),
    );
  }

  /**
   * A long message with its whole text in place of the cut inline body (see withLongText); if
   * the text cannot be downloaded, the inline body with a note saying so.
   */
  private async withWholeText(
    origin: Origin,
    message: signalservice.DataMessage,
  ): Promise<signalservice.DataMessage> {
    const pointer = longTextAttachmentOf(message);
    if (!pointer) return message;
    let text: string | undefined;
    try {
      text = await this.options.media.longTextFromSignal(origin.login.client.environment, pointer);
    } catch (error) {
      this.options.logger.warn(
        `long text of message ${origin.authorAci}:${origin.sentAt} not bridged: ${(error as Error).message}`,
      );
    }
    return withLongText(message, text) as signalservice.DataMessage;
  }

  /** Uploads the message's files whose parts are not in the room yet (see pendingMediaSlots). */
  private async uploadMedia(
    origin: Origin,
    portal: PortalRow,
    message: signalservice.DataMessage,
    draft: MatrixAction[],
    plaintextHashes?: ReadonlyMap<string, Uint8Array>,
  ): Promise<ReadonlyMap<string, UploadedMedia>> {
    // Most messages have no media: the parts already sent need not be looked up.
    if (pendingMediaSlots(message, new Set(), draft).length === 0) return new Map();
    const recorded = (
      await this.options.store.bridge.eventsOfMessage(portal.roomId, origin.authorAci, origin.sentAt)
    ).map((e) => e.part);
    const slots = pendingMediaSlots(message, new Set(recorded), draft);
    if (slots.length === 0) return new Map();
    const encrypt = await this.options.portals.encrypts(portal);
    return this.options.media.toMatrix(origin.login.client.environment, slots, { encrypt }, plaintextHashes);
  }

  /** With a double puppet, the phone's reads move the user's read receipts in their portals. */
  private async phoneRead(
    login: Login,
    reads: ReadonlyArray<{ senderAci: string; timestamp: number }>,
  ): Promise<void> {
    const { store, doublePuppets } = this.options;
    if (!doublePuppets.requesterOf(login.userId)) return;
    for (const read of reads) {
      // The last part of each message, per room the user has it in.
      const lastByRoom = new Map<string, string>();
      for (const ref of await store.bridge.eventsOfMessageAnywhere(read.senderAci, read.timestamp)) {
        lastByRoom.set(ref.roomId, ref.eventId);
      }
      for (const [roomId, eventId] of lastByRoom) {
        const portal = await store.bridge.portalByRoom(roomId);
        if (!portal || (portal.kind === "direct" && portal.receiver !== login.userId)) continue;
        await doublePuppets.markRead(login.userId, roomId, eventId);
      }
    }
  }

  /**
   * Who speaks for a Signal user in a portal, live and in history alike: the user's own Matrix
   * account for what they sent from their phone when the bridge may act as them (double puppet),
   * else the author's ghost.
   */
  private async speakerIn(origin: Origin, portal: PortalRow, names: ContactNames): Promise<Speaker> {
    const { ghosts, portals, doublePuppets } = this.options;
    const { login, authorAci } = origin;
    if (authorAci === login.client.account.aci) {
      const requester = doublePuppets.requesterOf(login.userId);
      if (requester) {
        await portals.ensurePuppetJoined(portal.roomId, login.userId);
        return { user: { userId: login.userId, matrixClient: requester }, marker: doublePuppets.marker };
      }
    }
    const intent = await ghosts.ensure(authorAci, names);
    await portals.ensureGhostJoined(portal, ghosts.userIdOf(authorAci));
    return { user: intent, marker: {} };
  }

  private async portalOf(origin: Origin): Promise<PortalRow> {
    const { login, groupMasterKey, contactAci } = origin;
    if (groupMasterKey) return this.options.groupPortalOf(login, groupMasterKey, origin.groupContext);
    const names = await this.options.names.namesOf(login, contactAci);
    // The contact's ghost makes the room; it has its name before anyone sees it.
    await this.options.ghosts.ensure(contactAci, names);
    const existing = await this.options.store.bridge.portalByKey(Portals.directKey(login.userId, contactAci));
    if (existing) return existing;
    const portal = await this.options.portals.direct(login.userId, contactAci, bestName(names));
    // A chat the contact starts may be a message request; one the user starts (from the phone) is not.
    if (origin.authorAci === contactAci) await this.options.requests.opened(login, portal, bestName(names));
    return portal;
  }

  private context(origin: Origin, portal: PortalRow, authorNames: ContactNames): SignalToMatrixContext {
    const { store, ghosts, linkedUserOf } = this.options;
    const tables = store.bridge;
    const names = new Map<string, string>([[origin.authorAci, bestName(authorNames)]]);
    return {
      roomId: portal.roomId,
      // Mentions and replies notify a linked user's own account; their ghost would notify nobody.
      ghostUserIdOf: (aci) => linkedUserOf(aci) ?? ghosts.userIdOf(aci),
      displayNameOf: async (aci) => names.get(aci) ?? (await ghosts.known(aci))?.displayName,
      eventIdsOf: async (ref) =>
        (await tables.eventsOfMessage(portal.roomId, ref.authorAci, ref.sentTimestamp)).map((e) => e.eventId),
      reactionEventIdOf: async (reactor, target) =>
        (await tables.reaction(portal.roomId, reactor, target.authorAci, target.sentTimestamp))?.eventId,
      pollAnswersOf: (eventId) => tables.pollAnswersOf(eventId),
      // Filled in by uploadMedia once the parts still to send are known.
      media: new Map(),
    };
  }

  private async apply(
    origin: Origin,
    portal: PortalRow,
    actions: MatrixAction[],
    message: signalservice.DataMessage,
    authorNames: ContactNames,
  ): Promise<string[]> {
    // Nothing to show (e.g. a group update, shown by the portal's sync): the author's ghost stays
    // out, which matters when the update says they left.
    if (actions.length === 0) return [];
    const { store, portals, disappearing } = this.options;
    const tables = store.bridge;
    const speaker = await this.speakerIn(origin, portal, authorNames);
    // Parts bridged before a restart are not sent again when the message is delivered again.
    const recordedParts = new Set(
      (await tables.eventsOfMessage(portal.roomId, origin.authorAci, origin.sentAt)).map((e) => e.part),
    );

    // Only messages with a timer get the marker and are scheduled (reactions and deletes have none).
    const marker = disappearing.contentMarker(message);
    const sent: string[] = [];
    for (const [index, action] of actions.entries()) {
      if (action.kind === "redact") {
        await redact(speaker.user, portal.roomId, action.eventId, action.reason, speaker.marker);
        await tables.deleteReaction(action.eventId);
        continue;
      }
      const part = "part" in action ? action.part : undefined;
      if (part !== undefined && recordedParts.has(part)) continue;
      const key = `${origin.authorAci}:${origin.sentAt}:${part ?? `action-${index}`}`;
      const content = { ...action.content, ...marker, ...speaker.marker };
      const eventId = await portals.send(
        speaker.user,
        portal,
        action.eventType,
        content,
        key,
        origin.shownAt,
      );
      sent.push(eventId);
      if (part !== undefined) {
        await tables.recordMessage({
          roomId: portal.roomId,
          authorAci: origin.authorAci,
          sentAt: origin.sentAt,
          part,
          eventId,
        });
      } else if (action.eventType === "m.reaction" && message.reaction) {
        await tables.saveReaction({
          roomId: portal.roomId,
          reactorAci: origin.authorAci,
          targetAuthorAci: message.reaction.targetAuthorAci ?? "",
          targetSentAt: Number(message.reaction.targetSentTimestamp ?? 0),
          emoji: message.reaction.emoji ?? "",
          eventId,
        });
      }
    }
    return sent;
  }
}

function groupContextOf(
  message: signalservice.IDataMessage | null | undefined,
): GroupMessageContext | undefined {
  const groupV2 = message?.groupV2;
  if (!groupV2 || groupV2.revision === null || groupV2.revision === undefined) return undefined;
  return { revision: groupV2.revision, groupChange: groupV2.groupChange ?? null };
}
