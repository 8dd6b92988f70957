import { isDeepStrictEqual } from "node:util";
import type { Logger } from "../logger.js";
import type { signalservice } from "../signal/index.js";
import type { ChatTimer, DisappearingEvent, PortalRow, Store } from "../store/index.js";
import { type Clock, ExpiryScheduler, systemClock } from "./expiry-scheduler.js";
import type { Portals } from "./portals.js";

/** The room state (and message content key) clients read a chat's timer from (mautrix's convention). */
export const DISAPPEARING_TIMER_EVENT = "com.beeper.disappearing_timer";

// Bit of signalservice.DataMessage.Flags: the message only changes the chat's timer.
const EXPIRATION_TIMER_UPDATE = 2;

/**
 * `com.beeper.disappearing_timer` content: Signal's countdown starts when a message is read;
 * an empty object means off.
 */
export function disappearingTimerContent(seconds: number): Record<string, unknown> {
  return seconds > 0 ? { type: "after_read", timer: seconds * 1000 } : {};
}

export function isTimerUpdate(message: signalservice.IDataMessage): boolean {
  return ((message.flags ?? 0) & EXPIRATION_TIMER_UPDATE) !== 0;
}

/** What a bridged Signal message needs to disappear on time. */
export interface BridgedSignalMessage {
  portal: PortalRow;
  message: signalservice.IDataMessage;
  sentAt: number;
  /** When its countdown started: for our own messages their sending, for others' undefined (on read). */
  startedAt: number | undefined;
  /** The Matrix events standing for it. */
  eventIds: readonly string[];
}

export interface DisappearingMessagesOptions {
  store: Store;
  portals: Portals;
  logger: Logger;
  clock?: Clock;
}

/**
 * Signal's disappearing messages in portals: keeps each portal's timer (shown as room state),
 * schedules the Matrix events of disappearing messages, starts their countdown when they are
 * read (on Matrix or on the phone) or sent, and redacts them when it ends, across restarts.
 */
export class DisappearingMessages {
  private readonly scheduler: ExpiryScheduler;
  private readonly clock: Clock;

  constructor(private readonly options: DisappearingMessagesOptions) {
    this.clock = options.clock ?? systemClock;
    this.scheduler = new ExpiryScheduler({
      queue: options.store.disappearing,
      redact: (event) => this.redact(event),
      clock: this.clock,
      logger: options.logger,
    });
  }

  /** Starts redacting; whatever expired while the bridge was down goes at once. */
  start(): Promise<void> {
    return this.scheduler.start();
  }

  stop(): void {
    this.scheduler.stop();
  }

  /** The timer a portal's messages to Signal carry, or undefined when it is off. */
  async timerOf(portal: PortalRow): Promise<ChatTimer | undefined> {
    const timer = await this.options.store.disappearing.timerOf(portal.roomId);
    return timer && timer.seconds > 0 ? timer : undefined;
  }

  /**
   * Follows the chat timer a Signal message carries. A timer update sets it (unless older than
   * the version we have); any other message with a timer turns it on or changes it, as Signal
   * does when it missed the update. Only an update turns it off: a message without a timer may
   * come from a client that does not know the chat's timer yet. The room state shows the change.
   */
  async followTimer(portal: PortalRow, message: signalservice.IDataMessage): Promise<void> {
    const seconds = message.expireTimer ?? 0;
    if (!isTimerUpdate(message) && seconds === 0) return;
    const version = message.expireTimerVersion || undefined;
    const tables = this.options.store.disappearing;
    const current = (await tables.timerOf(portal.roomId)) ?? { seconds: 0, version: undefined };
    if (version !== undefined && current.version !== undefined && version < current.version) {
      this.options.logger.debug(
        `ignoring timer ${seconds} s of version ${version} in ${portal.roomId}: version ${current.version} is newer`,
      );
      return;
    }
    await this.setTimer(portal, seconds, version ?? current.version);
  }

  /**
   * A group's timer as its group state has it (the state is authoritative: the change that set
   * it was signed by the groups service).
   */
  async followGroupTimer(portal: PortalRow, seconds: number): Promise<void> {
    const current = await this.options.store.disappearing.timerOf(portal.roomId);
    await this.setTimer(portal, seconds, current?.version);
  }

  private async setTimer(portal: PortalRow, seconds: number, version: number | undefined): Promise<void> {
    const tables = this.options.store.disappearing;
    const current = (await tables.timerOf(portal.roomId)) ?? { seconds: 0, version: undefined };
    if (seconds === current.seconds && version === current.version) return;
    await tables.setTimer(portal.roomId, { seconds, version });
    if (seconds === current.seconds) return;
    this.options.logger.info(`disappearing messages in ${portal.roomId}: ${seconds} s`);
    // Only for clients to show: the message that changed the timer is bridged even if this fails.
    await this.showTimer(portal, seconds).catch((error: unknown) =>
      this.options.logger.warn(`could not show the timer of ${portal.roomId} in its room state`, error),
    );
  }

  /** Sets the room state, unless the room shows that timer already (a user set it from Matrix). */
  private async showTimer(portal: PortalRow, seconds: number): Promise<void> {
    const intent = this.options.portals.adminIntent(portal);
    const content = disappearingTimerContent(seconds);
    const shown = (await intent.matrixClient
      .getRoomStateEvent(portal.roomId, DISAPPEARING_TIMER_EVENT, "")
      .catch(() => undefined)) as Record<string, unknown> | undefined;
    if (shown && isDeepStrictEqual(shown, content)) return;
    await intent.sendStateEvent(portal.roomId, DISAPPEARING_TIMER_EVENT, "", content);
  }

  /** Puts the room state back to the chat's timer (after a change from Matrix that Signal did not take). */
  async showCurrentTimer(portal: PortalRow): Promise<void> {
    await this.showTimer(
      portal,
      (await this.options.store.disappearing.timerOf(portal.roomId))?.seconds ?? 0,
    );
  }

  /** Content to add to a Matrix event of `message`, so clients can show that it disappears. */
  contentMarker(message: signalservice.IDataMessage): Record<string, unknown> {
    const seconds = message.expireTimer ?? 0;
    if (seconds === 0 || isTimerUpdate(message)) return {};
    return { [DISAPPEARING_TIMER_EVENT]: disappearingTimerContent(seconds) };
  }

  /** Whether a bridged `message` has its events scheduled to disappear (see bridged). */
  disappears(message: signalservice.IDataMessage): boolean {
    return (message.expireTimer ?? 0) !== 0 && !isTimerUpdate(message);
  }

  /** Schedules the Matrix events of a bridged message that carries a timer (not a timer update). */
  async bridged({ portal, message, sentAt, startedAt, eventIds }: BridgedSignalMessage): Promise<void> {
    const seconds = message.expireTimer ?? 0;
    if (!this.disappears(message) || eventIds.length === 0) return;
    const timerMs = seconds * 1000;
    for (const eventId of new Set(eventIds)) {
      await this.options.store.disappearing.schedule({
        eventId,
        roomId: portal.roomId,
        sentAt,
        timerMs,
        expiresAt: startedAt === undefined ? undefined : startedAt + timerMs,
      });
    }
    if (startedAt !== undefined) await this.scheduler.wake();
  }

  /**
   * Someone read `roomId` up to `eventId` at `readAt`: the countdown of that message and of every
   * earlier one waiting to be read starts.
   */
  async readUpTo(roomId: string, eventId: string, readAt: number): Promise<void> {
    const { bridge, disappearing } = this.options.store;
    const sentAt =
      (await bridge.messageOfEvent(eventId))?.sentAt ?? (await disappearing.scheduled(eventId))?.sentAt;
    if (sentAt === undefined) return;
    await this.startReadUpTo(roomId, sentAt, readAt);
  }

  /** The phone of `userId` read these messages (a read sync) at `readAt`. */
  async phoneRead(
    userId: string,
    reads: ReadonlyArray<{ senderAci: string; timestamp: number }>,
    readAt: number,
  ): Promise<void> {
    const { bridge } = this.options.store;
    for (const read of reads) {
      const rooms = new Set(
        (await bridge.eventsOfMessageAnywhere(read.senderAci, read.timestamp)).map((r) => r.roomId),
      );
      for (const roomId of rooms) {
        const portal = await bridge.portalByRoom(roomId);
        if (portal && (portal.kind === "group" || portal.receiver === userId))
          await this.startReadUpTo(roomId, read.timestamp, readAt);
      }
    }
  }

  private async startReadUpTo(roomId: string, sentAt: number, readAt: number): Promise<void> {
    // A read time ahead of ours (another device's clock) would make the message outlive its timer.
    const started = await this.options.store.disappearing.startReadUpTo(
      roomId,
      sentAt,
      Math.min(readAt, this.clock.now()),
    );
    if (started === 0) return;
    this.options.logger.debug(`${started} disappearing message(s) in ${roomId} started their countdown`);
    await this.scheduler.wake();
  }

  private async redact(event: DisappearingEvent): Promise<void> {
    const portal = await this.options.store.bridge.portalByRoom(event.roomId);
    if (!portal) {
      // Nobody of ours holds power in a room that is no longer a portal; keeping it would retry forever.
      this.options.logger.warn(`${event.eventId} expired in ${event.roomId}, which is no longer a portal`);
      return;
    }
    await this.options.portals
      .adminIntent(portal)
      .matrixClient.redactEvent(event.roomId, event.eventId, "Disappearing message expired");
  }
}
