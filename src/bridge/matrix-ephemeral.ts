import type { Logger } from "../logger.js";
import { sendReadSync, sendReceipt, sendTyping } from "../signal/index.js";
import type { PortalRow, Store } from "../store/index.js";
import { destinationOf } from "./destinations.js";
import type { DisappearingMessages } from "./disappearing-messages.js";
import type { GroupDirectory } from "./group-directory.js";
import type { LoginManager } from "./logins.js";
import type { RelayOutcome } from "./relay-outcome.js";

/** The ephemeral event fields read here (typing notifications and read receipts). */
export interface EphemeralEvent {
  type: string;
  room_id?: string;
  content: Record<string, unknown>;
}

export interface MatrixEphemeralOptions {
  store: Store;
  logins: LoginManager;
  groups: GroupDirectory;
  disappearing: DisappearingMessages;
  /** A read receipt the bridge itself set as the user (their phone's read, double puppeted). */
  isOwnReceipt(userId: string, roomId: string, eventId: string): boolean;
  logger: Logger;
}

/**
 * Typing notifications and read receipts of logged-in users in portals, relayed to Signal:
 * typing to the chat, a read receipt to the message's author and a read sync to the phone.
 */
export class MatrixEphemeral {
  /** Who is typing in each portal, as last reported, to tell Signal when someone stops. */
  private readonly typing = new Map<string, Set<string>>();

  constructor(private readonly options: MatrixEphemeralOptions) {}

  /** Bridged when something went to Signal; skipped when nobody here has a login for the chat. */
  async handle(event: EphemeralEvent): Promise<RelayOutcome> {
    const portal = event.room_id ? await this.options.store.bridge.portalByRoom(event.room_id) : undefined;
    if (!portal) return "ignored";
    // A message request: the sender must not learn that the user reads or types, as on Signal.
    if (portal.kind === "direct" && (await this.options.store.bridge.isMessageRequest(portal.portalKey)))
      return "skipped";
    if (event.type === "m.typing") return this.typingChanged(portal, event.content);
    if (event.type === "m.receipt") return this.receipts(portal, event.content);
    return "ignored";
  }

  private async typingChanged(portal: PortalRow, content: Record<string, unknown>): Promise<RelayOutcome> {
    const now = new Set(Array.isArray(content["user_ids"]) ? (content["user_ids"] as string[]) : []);
    const before = this.typing.get(portal.roomId) ?? new Set<string>();
    this.typing.set(portal.roomId, now);
    const changes = [
      ...[...now].filter((u) => !before.has(u)).map((u) => [u, "started"] as const),
      ...[...before].filter((u) => !now.has(u)).map((u) => [u, "stopped"] as const),
    ];
    let outcome: RelayOutcome = "skipped";
    for (const [userId, action] of changes) {
      const login = this.loginIn(portal, userId);
      if (!login) continue;
      const sent = await sendTyping(
        login.client,
        await destinationOf(this.options.groups, login, portal),
        action,
      ).then(
        () => true,
        (error) => {
          this.options.logger.debug(`typing of ${userId} not sent: ${(error as Error).message}`);
          return false;
        },
      );
      if (sent) outcome = "bridged";
      else if (outcome === "skipped") outcome = "failed";
    }
    return outcome;
  }

  private async receipts(portal: PortalRow, content: Record<string, unknown>): Promise<RelayOutcome> {
    let outcome: RelayOutcome = "skipped";
    for (const [eventId, byType] of Object.entries(content)) {
      // Whatever a homeserver (or a forged transaction) puts here: only objects are read.
      const read = isObject(byType) ? byType["m.read"] : undefined;
      const readers = isObject(read) ? read : {};
      const message = await this.options.store.bridge.messageOfEvent(eventId);
      for (const [userId, receipt] of Object.entries(readers)) {
        const login = this.loginIn(portal, userId);
        if (!login) continue;
        // The phone's own read, shown by the bridge: Signal knows it already.
        if (this.options.isOwnReceipt(userId, portal.roomId, eventId)) continue;
        // Before the receipt goes to Signal: once the sender sees it, the countdown is on record.
        const readAt = (receipt as { ts?: unknown } | undefined)?.ts;
        await this.options.disappearing.readUpTo(
          portal.roomId,
          eventId,
          typeof readAt === "number" ? readAt : Date.now(),
        );
        if (!message || message.authorAci === login.client.account.aci) continue;
        await sendReceipt(login.client, message.authorAci, "read", [message.sentAt]);
        await sendReadSync(login.client, [{ senderAci: message.authorAci, timestamp: message.sentAt }]);
        outcome = "bridged";
      }
    }
    return outcome;
  }

  private loginIn(portal: PortalRow, userId: string) {
    if (portal.kind === "direct" && portal.receiver !== userId) return undefined;
    return this.options.logins.loginOf(userId);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
