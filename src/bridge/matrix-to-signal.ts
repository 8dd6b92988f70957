import type { WeakEvent } from "matrix-appservice-bridge";
import {
  matrixEventToSignal,
  matrixRedactionToSignal,
  type SignalOutgoing,
  splitLongBody,
} from "../convert/index.js";
import type { Logger } from "../logger.js";
import { RateLimitError, sendDataMessage, sendEdit, type signalservice } from "../signal/index.js";
import type { PortalRow, Store } from "../store/index.js";
import { destinationOf } from "./destinations.js";
import type { DisappearingMessages } from "./disappearing-messages.js";
import type { Ghosts } from "./ghosts.js";
import type { GroupDirectory } from "./group-directory.js";
import type { Login, LoginManager } from "./logins.js";
import type { MediaRelay } from "./media.js";
import { type MessageStatusReporter, type SendFailure, sendFailureOf } from "./message-status.js";
import { NoticeCoalescer } from "./notice-coalescer.js";
import type { Portals } from "./portals.js";
import type { RateLimitChallenges } from "./rate-limit-challenges.js";
import { relayedEvent, type RelayMode } from "./relay-mode/index.js";
import type { RelayOutcome } from "./relay-outcome.js";
import { retryVerdictOf } from "./retry-policy.js";

export interface MatrixToSignalOptions {
  store: Store;
  ghosts: Ghosts;
  logins: LoginManager;
  groups: GroupDirectory;
  portals: Portals;
  media: MediaRelay;
  status: MessageStatusReporter;
  /** Whether a message that did not reach Signal gets a notice in its room (`bridge.message_error_notices`). */
  errorNotices: boolean;
  disappearing: DisappearingMessages;
  challenges: RateLimitChallenges;
  /** Whose account sends for a Matrix user (theirs, or the portal's relay). */
  relay: RelayMode;
  logger: Logger;
}

/** Relays what logged-in Matrix users do in portals to their Signal chats. */
export class MatrixToSignal {
  private readonly failureNotices = new NoticeCoalescer();

  constructor(private readonly options: MatrixToSignalOptions) {}

  /**
   * Relays one event. A transient failure to reach Signal is thrown, for the room's queue to try
   * again (the claim keeps the Signal timestamp, so a retry is the same message to Signal); any
   * other failure is told to the sender and the room, and handling ends normally.
   */
  async handle(event: WeakEvent, portal: PortalRow): Promise<RelayOutcome> {
    const { store } = this.options;
    if (!isRelayedType(event.type) || this.options.ghosts.aciOf(event.sender)) return "ignored";
    const logger = this.options.logger.with({
      user: event.sender,
      room: event.room_id,
      event: event.event_id,
    });
    const account = await this.options.relay.accountFor(portal, event.sender);
    if (account.kind === "none") {
      logger.debug(
        `${event.event_id} in ${event.room_id}: ${event.sender} has no Signal login for this chat`,
      );
      const failure: SendFailure = {
        status: "FAIL_PERMANENT",
        reason: "m.no_permission",
        message: account.reason,
      };
      await this.fail(portal, event, failure);
      return "failed";
    }
    // As in Signal's apps: nothing goes to someone whose message request is not accepted, or who
    // is blocked.
    const refusal =
      portal.kind === "direct" && (await store.bridge.isMessageRequest(portal.portalKey))
        ? "This chat is a message request: send !signal accept first to reply."
        : (await store.bridge.chatState(account.login.userId, portal.chatId)) === "blocked"
          ? "You blocked this chat: send !signal unblock first."
          : undefined;
    if (refusal) {
      await this.fail(portal, event, {
        status: "FAIL_PERMANENT",
        reason: "m.no_permission",
        message: refusal,
      });
      return "failed";
    }
    const unknownTarget = await this.unknownTargetOf(event);
    if (unknownTarget) {
      // Reactions to and redactions of what never reached Signal: nothing to tell anyone.
      logger.debug(
        `${event.type} ${event.event_id} in ${event.room_id} is about ${unknownTarget}, which was never bridged`,
      );
      return "skipped";
    }
    let outgoingEvent = event;
    if (account.kind === "relay") {
      const refusal = await this.relayRefusal(event, account.writer.userId);
      if (refusal) {
        logger.debug(`${event.type} ${event.event_id} in ${event.room_id} is not relayed: ${refusal}`);
        return "skipped";
      }
      const relayed = relayedEvent(event, this.options.relay.formats, account.writer.name);
      outgoingEvent = { ...event, type: relayed.type, content: relayed.content };
    }
    const { login } = account;
    const relayedFor = account.kind === "relay" ? account.writer.userId : undefined;
    const { claim } = await store.bridge.claimOutgoing(
      event.event_id,
      event.room_id,
      login.userId,
      relayedFor,
    );
    // Sent or refused before (a retry after the outcome was stored): nothing more to do.
    if (claim.state !== "sending") return "skipped";
    const aci = login.client.account.aci;
    const sending = logger.with({ login: aci, signal_message: `${aci}/${claim.sentAt}` });
    return this.sendClaimed(login, portal, outgoingEvent, claim.sentAt, sending);
  }

  /**
   * Why a relayed user's event does not go through the relay: reactions cannot say whose they
   * are, and edits and deletes may only touch what the relay sent for that same user.
   */
  private async relayRefusal(event: WeakEvent, writer: string): Promise<string | undefined> {
    if (event.type === "m.reaction") return "reactions of relayed users are not sent";
    const relation = event.content["m.relates_to"] as { rel_type?: unknown; event_id?: unknown } | undefined;
    const target =
      event.type === "m.room.redaction"
        ? ((event as { redacts?: unknown }).redacts ?? event.content["redacts"])
        : relation?.rel_type === "m.replace"
          ? relation.event_id
          : undefined;
    if (target === undefined) return undefined;
    const sent = typeof target === "string" ? await this.options.store.bridge.outgoing(target) : undefined;
    return sent?.relayedFor === writer ? undefined : "it is about a message the relay did not send for them";
  }

  private async sendClaimed(
    login: Login,
    portal: PortalRow,
    event: WeakEvent,
    sentAt: number,
    logger: Logger,
  ): Promise<RelayOutcome> {
    const { store } = this.options;
    const outgoing = await this.convertSafely(event);
    if (outgoing.kind === "ignored") {
      await store.bridge.setOutgoingState(event.event_id, "failed");
      const failure: SendFailure = {
        status: "FAIL_PERMANENT",
        reason: "com.beeper.unsupported_event",
        message: outgoing.reason,
      };
      await this.fail(portal, event, failure, `Not sent to Signal: ${outgoing.reason}`);
      return "failed";
    }
    try {
      await this.send(login, portal, event, outgoing, sentAt);
    } catch (error) {
      if (error instanceof RateLimitError) await this.options.challenges.refused(login, error);
      if (retryVerdictOf(error).transient) throw error;
      await store.bridge.setOutgoingState(event.event_id, "failed");
      logger.warn(`sending ${event.event_id} to Signal failed`, error);
      const notice = `Your message was not delivered to Signal: ${(error as Error).message}`;
      await this.fail(portal, event, sendFailureOf(error), notice);
      return "failed";
    }
    await store.bridge.setOutgoingState(event.event_id, "sent");
    logger.debug(`${event.event_id} sent to Signal, sent at ${sentAt}`);
    await this.options.status.sent(portal, event.event_id);
    return "bridged";
  }

  /**
   * An event in a portal that the bridge could not decrypt (`reason` says why) or, without
   * encryption, cannot read at all: its sender's client shows a failed status, the room a notice
   * (`notice` false when the room was told before).
   */
  async unreadable(event: WeakEvent, reason: string, notice = true): Promise<void> {
    const portal = await this.options.store.bridge.portalByRoom(event.room_id);
    if (!portal) return;
    const failure: SendFailure = {
      status: "FAIL_RETRIABLE",
      reason: "com.beeper.undecryptable_event",
      message: reason,
    };
    if (notice) await this.fail(portal, event, failure);
    else await this.options.status.failed(portal, event.event_id, failure);
  }

  /** The event a reaction or redaction is about, when it never reached Signal. */
  private async unknownTargetOf(event: WeakEvent): Promise<string | undefined> {
    const tables = this.options.store.bridge;
    let target: unknown;
    if (event.type === "m.reaction") {
      const relation = event.content["m.relates_to"] as { event_id?: unknown } | null | undefined;
      target = relation?.event_id;
      if (typeof target === "string" && (await tables.messageOfEvent(target))) return undefined;
    } else if (event.type === "m.room.redaction") {
      target = (event as { redacts?: unknown }).redacts ?? event.content["redacts"];
      if (
        typeof target === "string" &&
        ((await tables.messageOfEvent(target)) || (await tables.reactionByEvent(target)))
      )
        return undefined;
    } else {
      return undefined;
    }
    return typeof target === "string" ? target : "an event it does not name";
  }

  /**
   * Says so in the room (a notice, coalesced when they come in a row; when error notices are on)
   * and to the sender's client (a status event; when status events are on).
   */
  private async fail(
    portal: PortalRow,
    event: WeakEvent,
    failure: SendFailure,
    notice = failure.message,
  ): Promise<void> {
    const text = this.options.errorNotices ? this.failureNotices.admit(portal.roomId, notice) : undefined;
    if (text !== undefined) await this.notice(portal, text);
    await this.options.status.failed(portal, event.event_id, failure);
  }

  /** Conversion of what any Matrix user sent: a bug it trips over is this event's failure alone. */
  private async convertSafely(event: WeakEvent): Promise<SignalOutgoing> {
    try {
      return await this.convert(event);
    } catch (error) {
      this.options.logger.error(
        `converting ${event.type} ${event.event_id} in ${event.room_id} failed`,
        error,
      );
      return { kind: "ignored", reason: "the bridge could not read this message" };
    }
  }

  private async convert(event: WeakEvent): Promise<SignalOutgoing> {
    const tables = this.options.store.bridge;
    if (event.type === "m.room.redaction") {
      const redacts =
        (event as { redacts?: string }).redacts ?? (event.content["redacts"] as string | undefined);
      const reaction = redacts ? await tables.reactionByEvent(redacts) : undefined;
      if (reaction) {
        return matrixRedactionToSignal({
          kind: "reaction",
          emoji: reaction.emoji,
          target: { authorAci: reaction.targetAuthorAci, sentTimestamp: reaction.targetSentAt },
        });
      }
      const message = redacts ? await tables.messageOfEvent(redacts) : undefined;
      if (!message) return { kind: "ignored", reason: "the redacted event was never bridged" };
      return matrixRedactionToSignal({
        kind: "message",
        message: { authorAci: message.authorAci, sentTimestamp: message.sentAt },
      });
    }
    return matrixEventToSignal(
      { type: event.type, content: event.content, sentAt: event.origin_server_ts, sender: event.sender },
      {
        aciOfMatrixUser: (userId) =>
          this.options.ghosts.aciOf(userId) ?? this.options.logins.loginOf(userId)?.client.account.aci,
        signalMessageOf: async (eventId) => {
          const ref = await tables.messageOfEvent(eventId);
          return ref && { authorAci: ref.authorAci, sentTimestamp: ref.sentAt };
        },
        pollAnswersOf: (eventId) => tables.pollAnswersOf(eventId),
      },
    );
  }

  private async send(
    login: Login,
    portal: PortalRow,
    event: WeakEvent,
    outgoing: Exclude<SignalOutgoing, { kind: "ignored" }>,
    timestamp: number,
  ): Promise<void> {
    const destination = await destinationOf(this.options.groups, login, portal);
    const dataMessage = outgoing.dataMessage as signalservice.IDataMessage;
    const attachments =
      outgoing.kind === "message"
        ? await this.options.media.toSignal(login.client, outgoing.attachments)
        : [];
    // Like Signal's apps: a body too long to go inline goes whole as a long-text attachment, first.
    const long =
      outgoing.kind === "message" || outgoing.kind === "edit"
        ? splitLongBody(dataMessage.body ?? "")
        : undefined;
    if (long) {
      dataMessage.body = long.inlineBody;
      attachments.unshift(await this.options.media.longTextToSignal(login.client, long.text));
    }
    if (attachments.length > 0) dataMessage.attachments = attachments;
    // Without the chat's timer the phone would take the message as turning disappearing off.
    const timer =
      outgoing.kind === "message" || outgoing.kind === "edit" || outgoing.kind === "poll"
        ? await this.options.disappearing.timerOf(portal)
        : undefined;
    if (timer) {
      dataMessage.expireTimer = timer.seconds;
      if (timer.version !== undefined) dataMessage.expireTimerVersion = timer.version;
    }
    // Recorded before sending: recipients can answer (a read receipt, a reaction) while the
    // transcript to our own devices is still on its way, and must find the message then.
    await this.record(login, portal, event, outgoing, timestamp);
    const result =
      outgoing.kind === "edit"
        ? await sendEdit(login.client, destination, outgoing.targetSentTimestamp, dataMessage, timestamp)
        : await sendDataMessage(login.client, destination, dataMessage, timestamp);
    // Our own messages count down from their sending, on Signal and here.
    await this.options.disappearing.bridged({
      portal,
      message: dataMessage,
      sentAt: timestamp,
      startedAt: timestamp,
      eventIds: [event.event_id],
    });
    if (result.failed.length > 0 && this.options.errorNotices) {
      await this.notice(
        portal,
        `Not delivered to ${result.failed.length} member(s): ${result.failed.map((f) => f.error.message).join("; ")}`,
      );
    }
  }

  /** Remembers what was sent so replies, reactions, edits and redactions can find it later. */
  private async record(
    login: Login,
    portal: PortalRow,
    event: WeakEvent,
    outgoing: SignalOutgoing,
    sentAt: number,
  ): Promise<void> {
    const tables = this.options.store.bridge;
    const ownAci = login.client.account.aci;
    if (outgoing.kind === "poll")
      await tables.savePollAnswers(event.event_id, portal.roomId, outgoing.answerIds);
    if (outgoing.kind === "message" || outgoing.kind === "poll") {
      await tables.recordMessage({
        roomId: portal.roomId,
        authorAci: ownAci,
        sentAt,
        part: 0,
        eventId: event.event_id,
      });
    } else if (outgoing.kind === "reaction") {
      const reaction = outgoing.dataMessage.reaction;
      if (reaction?.remove || !reaction?.targetAuthorAci) return;
      await tables.saveReaction({
        roomId: portal.roomId,
        reactorAci: ownAci,
        targetAuthorAci: reaction.targetAuthorAci,
        targetSentAt: Number(reaction.targetSentTimestamp ?? 0),
        emoji: reaction.emoji ?? "",
        eventId: event.event_id,
      });
    }
  }

  private async notice(portal: PortalRow, text: string): Promise<void> {
    await this.options.portals.notice(portal, text).catch((error) => {
      this.options.logger.error(`could not post a notice in ${portal.roomId}`, error);
    });
  }
}

const RELAYED_TYPES = new Set([
  "m.room.message",
  "m.reaction",
  "m.sticker",
  "m.room.redaction",
  "org.matrix.msc3381.poll.start",
  "org.matrix.msc3381.poll.response",
  "org.matrix.msc3381.poll.end",
]);

function isRelayedType(type: string): boolean {
  return RELAYED_TYPES.has(type);
}
