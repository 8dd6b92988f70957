import type { WeakEvent } from "matrix-appservice-bridge";
import type { Logger } from "../logger.js";
import { sendDataMessage, type signalservice } from "../signal/index.js";
import type { PortalRow, Store } from "../store/index.js";
import type { DisappearingMessages } from "./disappearing-messages.js";
import type { GroupEditor } from "./groups/index.js";
import type { Login, LoginManager } from "./logins.js";
import type { Portals } from "./portals.js";
import type { RelayMode } from "./relay-mode/index.js";
import type { RelayOutcome } from "./relay-outcome.js";
import { retryVerdictOf } from "./retry-policy.js";

// Bit of signalservice.DataMessage.Flags: the message only changes the chat's timer.
const EXPIRATION_TIMER_UPDATE = 2;

export interface TimersFromMatrixOptions {
  store: Store;
  logins: LoginManager;
  relay: RelayMode;
  groupEditor: GroupEditor;
  portals: Portals;
  disappearing: DisappearingMessages;
  /** Shows what our account sent in a direct chat as Signal would (the timer notice). */
  showSent(
    login: Login,
    portal: PortalRow,
    message: signalservice.IDataMessage,
    sentAt: number,
  ): Promise<void>;
  logger: Logger;
}

/** How setting a timer from Matrix ended. */
export type TimerOutcome = { kind: "set" } | { kind: "unchanged" } | { kind: "refused"; reason: string };

/** `com.beeper.disappearing_timer` content as seconds; undefined for a kind of timer Signal lacks. */
export function timerSecondsOf(content: Record<string, unknown>): number | undefined {
  const timer = content["timer"];
  if (typeof timer !== "number" || timer <= 0) return 0;
  if (content["type"] !== undefined && content["type"] !== "after_read") return undefined;
  return Math.max(1, Math.round(timer / 1000));
}

/**
 * Disappearing-message timers set from Matrix (the room state, or the disappearing-timer
 * command): a timer update to the contact in a direct chat, a group change in a group; the room
 * shows the same notice as when the timer is set on Signal.
 */
export class TimersFromMatrix {
  constructor(private readonly options: TimersFromMatrixOptions) {}

  /**
   * Sets the timer of the portal's chat to `seconds` as `userId`'s account; `eventId` is the
   * Matrix event asking for it (a retry of the same event sends the same Signal message).
   * Failures to reach Signal are thrown; a transient one is retried by the room's queue.
   */
  async set(portal: PortalRow, userId: string, seconds: number, eventId: string): Promise<TimerOutcome> {
    const login = this.options.logins.loginOf(userId);
    if (!login || !(await this.options.relay.hasChat(login, portal))) {
      return {
        kind: "refused",
        reason:
          "Only a user whose Signal account is in this chat can change its disappearing-messages timer.",
      };
    }
    if (portal.kind === "group") {
      let outcome;
      try {
        outcome = await this.options.groupEditor.edit(login, portal, (group) =>
          group.disappearingTimerSeconds === seconds ? [] : [{ kind: "timer", seconds }],
        );
      } catch (error) {
        if (retryVerdictOf(error).transient) throw error;
        this.options.logger.error(`the timer of group ${portal.chatId} was not changed`, error);
        return { kind: "refused", reason: `Signal did not take it (${(error as Error).message}).` };
      }
      return outcome.kind === "refused"
        ? outcome
        : { kind: outcome.kind === "changed" ? "set" : "unchanged" };
    }
    return this.setDirect(login, portal, seconds, eventId);
  }

  /** A user set the room's timer state: Signal follows, or the room is put back with a notice why. */
  async stateChanged(event: WeakEvent, portal: PortalRow): Promise<RelayOutcome> {
    const seconds = timerSecondsOf(event.content);
    const outcome: TimerOutcome =
      seconds === undefined
        ? {
            kind: "refused",
            reason: "Signal's timers start when a message is read; other kinds cannot be set.",
          }
        : await this.set(portal, event.sender, seconds, event.event_id);
    if (outcome.kind !== "refused") return outcome.kind === "set" ? "bridged" : "skipped";
    this.options.logger.info(`timer change ${event.event_id} in ${portal.roomId} refused: ${outcome.reason}`);
    await this.options.disappearing.showCurrentTimer(portal);
    await this.options.portals.notice(
      portal,
      `The disappearing-messages timer was not changed: ${outcome.reason}`,
    );
    return "failed";
  }

  private async setDirect(
    login: Login,
    portal: PortalRow,
    seconds: number,
    eventId: string,
  ): Promise<TimerOutcome> {
    const { store, logger } = this.options;
    const current = await store.disappearing.timerOf(portal.roomId);
    const { claim } = await store.bridge.claimOutgoing(eventId, portal.roomId, login.userId);
    // Handled before (a redelivery after the outcome was stored): nothing more to do.
    if (claim.state !== "sending") return { kind: "unchanged" };
    if ((current?.seconds ?? 0) === seconds) {
      await store.bridge.setOutgoingState(eventId, "sent");
      return { kind: "unchanged" };
    }
    // Signal ignores a timer change older than the one it has: each change is one version newer.
    const message: signalservice.IDataMessage = {
      flags: EXPIRATION_TIMER_UPDATE,
      expireTimer: seconds,
      expireTimerVersion: (current?.version ?? 0) + 1,
    };
    try {
      await sendDataMessage(login.client, { kind: "direct", aci: portal.chatId }, message, claim.sentAt);
    } catch (error) {
      if (retryVerdictOf(error).transient) throw error;
      await store.bridge.setOutgoingState(eventId, "failed");
      logger.warn(`the timer change ${eventId} was not sent`, error);
      return { kind: "refused", reason: (error as Error).message };
    }
    await store.bridge.setOutgoingState(eventId, "sent");
    await this.options.showSent(login, portal, message, claim.sentAt);
    return { kind: "set" };
  }
}
