// Message status events: how a Matrix client learns whether the Signal side got a message.
// The event type and fields are the ones mautrix bridges send (mautrix-go
// event.BeeperMessageStatusEventContent), so clients that show them for those bridges show ours too.
import type { Logger } from "../logger.js";
import {
  AttachmentTooLargeError,
  LoggedOutError,
  RateLimitError,
  SignalClientError,
  UnregisteredRecipientError,
  UntrustedIdentityError,
} from "../signal/index.js";
import type { BridgeTables, PortalRow } from "../store/index.js";
import { MediaTooLargeError } from "./media-repository.js";
import { UnsupportedMediaError } from "./media.js";
import { bridgeInfoStateKey, type Portals } from "./portals.js";

export const MESSAGE_STATUS_EVENT_TYPE = "com.beeper.message_send_status";

export type MessageStatusValue = "SUCCESS" | "PENDING" | "FAIL_RETRIABLE" | "FAIL_PERMANENT";

/** The reasons mautrix defines (event.MessageStatusReason) that this bridge has occasion to give. */
export type MessageStatusReason =
  | "m.event_not_handled"
  | "com.beeper.unsupported_event"
  | "com.beeper.undecryptable_event"
  | "m.foreign_network_error"
  | "m.no_permission";

/** Why a Matrix event did not reach Signal. */
export interface SendFailure {
  status: Extract<MessageStatusValue, "FAIL_RETRIABLE" | "FAIL_PERMANENT">;
  reason: MessageStatusReason;
  /** For the user. */
  message: string;
  /** For bug reports; clients do not show it. */
  internalError?: string | undefined;
}

export interface MessageStatusContent {
  network: string;
  "m.relates_to": { rel_type: "m.reference"; event_id: string };
  status: MessageStatusValue;
  reason?: MessageStatusReason;
  message?: string;
  internal_error?: string;
  /** Present (even empty) once the bridge will report deliveries: who has the message so far. */
  delivered_to_users?: string[];
}

/** The content of a status event for `eventId` in the portal of `chatId`. */
export function messageStatusContent(
  chatId: string,
  eventId: string,
  outcome: { status: "SUCCESS"; deliveredTo: readonly string[] } | SendFailure,
): MessageStatusContent {
  const content: MessageStatusContent = {
    network: bridgeInfoStateKey(chatId),
    "m.relates_to": { rel_type: "m.reference", event_id: eventId },
    status: outcome.status,
  };
  if (outcome.status === "SUCCESS") return { ...content, delivered_to_users: [...outcome.deliveredTo] };
  return {
    ...content,
    reason: outcome.reason,
    message: outcome.message,
    ...(outcome.internalError ? { internal_error: outcome.internalError } : {}),
  };
}

/**
 * What a failed send means for the user. Signal's typed refusals (unregistered recipient, changed
 * safety number) will not change by sending again; rate limits and network trouble may.
 */
export function sendFailureOf(error: unknown): SendFailure {
  if (
    error instanceof MediaTooLargeError ||
    error instanceof AttachmentTooLargeError ||
    error instanceof UnsupportedMediaError
  ) {
    return { status: "FAIL_PERMANENT", reason: "com.beeper.unsupported_event", message: error.message };
  }
  if (error instanceof RateLimitError) {
    return { status: "FAIL_RETRIABLE", reason: "m.foreign_network_error", message: error.message };
  }
  if (error instanceof UnregisteredRecipientError || error instanceof UntrustedIdentityError) {
    return { status: "FAIL_PERMANENT", reason: "m.foreign_network_error", message: error.message };
  }
  if (error instanceof LoggedOutError) {
    return { status: "FAIL_PERMANENT", reason: "m.no_permission", message: error.message };
  }
  if (error instanceof SignalClientError) {
    return { status: "FAIL_RETRIABLE", reason: "m.foreign_network_error", message: error.message };
  }
  return {
    status: "FAIL_RETRIABLE",
    reason: "m.event_not_handled",
    message: "The bridge could not send this to Signal.",
    internalError: error instanceof Error ? error.message : String(error),
  };
}

/** How many messages' recipients are remembered for group delivery reports. */
const REMEMBERED_MESSAGES = 1000;

/** What the bridge tells a Matrix sender about their message (config `bridge.*`). */
export interface MessageStatusOptions {
  /** `message_status_events`: status events (SUCCESS, deliveries, failures). */
  statusEvents: boolean;
  /** `delivery_receipts`: a read receipt from whoever speaks for the bridge once Signal accepted it. */
  deliveryReceipts: boolean;
}

/**
 * Tells Matrix senders what became of their messages: status events (when configured), updated
 * as recipients confirm delivery, and read receipts for what Signal accepted (when configured).
 * They come from whoever can post in the portal (the contact's ghost in a direct chat, where the
 * bot is not a member). With both off nothing is written, and deliveries are not even looked up.
 */
export class MessageStatusReporter {
  /**
   * Recipients that confirmed delivery, per Matrix event, so a group message's status lists
   * everyone so far. Kept in memory only: after a restart a status lists the recipients
   * confirmed since, which is still true, only incomplete.
   */
  private readonly deliveredTo = new Map<string, Set<string>>();

  constructor(
    private readonly portals: Portals,
    private readonly tables: BridgeTables,
    private readonly logger: Logger,
    private readonly options: MessageStatusOptions,
  ) {}

  /** Whether delivery confirmations from Signal matter at all. */
  get reportsDeliveries(): boolean {
    return this.options.statusEvents;
  }

  /**
   * Signal accepted the message; deliveries will follow. Some may already have: a recipient can
   * confirm while the transcript to the user's own devices is still being sent.
   */
  async sent(portal: PortalRow, eventId: string): Promise<void> {
    if (this.options.statusEvents) {
      const deliveredTo = [...(this.deliveredTo.get(eventId) ?? [])];
      await this.send(portal, eventId, { status: "SUCCESS", deliveredTo });
    }
    if (this.options.deliveryReceipts) {
      await this.portals
        .adminIntent(portal)
        .sendReadReceipt(portal.roomId, eventId)
        .catch((error: unknown) => {
          this.logger.warn(`could not send the delivery receipt of ${eventId} in ${portal.roomId}`, error);
        });
    }
  }

  async failed(portal: PortalRow, eventId: string, failure: SendFailure): Promise<void> {
    if (this.options.statusEvents) await this.send(portal, eventId, failure);
  }

  /**
   * A recipient's device confirmed delivery of the Signal message behind `eventId`. Messages the
   * user sent from their phone have no Matrix sender waiting for a status, so they are skipped,
   * and so is a recipient already named (each of their devices confirms).
   */
  async delivered(portal: PortalRow, eventId: string, recipientUserId: string): Promise<void> {
    if (!this.options.statusEvents) return;
    const recipients = this.deliveredTo.get(eventId) ?? new Set<string>();
    if (recipients.has(recipientUserId)) return;
    if (!(await this.tables.outgoing(eventId))) {
      this.logger.debug(`delivery of ${eventId} not reported: it was not sent from Matrix`);
      return;
    }
    recipients.add(recipientUserId);
    // Re-inserted so the map's order is least recently confirmed first.
    this.deliveredTo.delete(eventId);
    this.deliveredTo.set(eventId, recipients);
    for (const oldest of this.deliveredTo.keys()) {
      if (this.deliveredTo.size <= REMEMBERED_MESSAGES) break;
      this.deliveredTo.delete(oldest);
    }
    await this.send(portal, eventId, { status: "SUCCESS", deliveredTo: [...recipients] });
  }

  private async send(
    portal: PortalRow,
    eventId: string,
    outcome: Parameters<typeof messageStatusContent>[2],
  ): Promise<void> {
    const content = messageStatusContent(portal.chatId, eventId, outcome);
    await this.portals.sendAsBridge(portal, MESSAGE_STATUS_EVENT_TYPE, { ...content }).catch((error) => {
      // A status is a courtesy on top of the message (and the notice on failure): never fatal.
      this.logger.warn(`could not send the status of ${eventId} in ${portal.roomId}`, error);
    });
  }
}
