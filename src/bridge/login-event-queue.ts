// One login's buffered Signal events on their way to Matrix: in order per chat, chats side by
// side, each event retried while its failure is transient and marked handled once it is done with.
import type { Logger } from "../logger.js";
import type { BufferedSignalEvent } from "../signal/index.js";
import { ChatLanes } from "./chat-lanes.js";
import type { RelayOutcome } from "./relay-outcome.js";
import { RetryStoppedError, retryWhileTransient } from "./retry-policy.js";
import { Semaphore } from "./semaphore.js";
import { liveChatKey } from "./signal-chat-key.js";

export interface LoginEventQueueOptions {
  userId: string;
  /** The login's own ACI (a note to self is the chat with it). */
  ownAci: string;
  /** Bridges one event; a transient failure (see retry-policy) is tried again, any other skips it. */
  handle(event: BufferedSignalEvent): Promise<RelayOutcome | void>;
  /** The event is done with (bridged, skipped or failed for good): it is not delivered again. */
  markHandled(id: string): Promise<void>;
  /** See LoginObserver.eventSettled; must not throw (it is logged if it does). */
  settled?(event: BufferedSignalEvent, outcome: RelayOutcome, handedAt: number): void;
  /** See RetryOptions.reconsider. */
  reconsider?: (error: unknown) => Promise<boolean>;
  /** Aborted on logout or shutdown: events not done with stay buffered for the next start. */
  stop: AbortSignal;
  /** How many of this login's events are bridged at once. */
  concurrency: number;
  /** Shared by all logins: how many events are bridged at once in all. */
  totalSlots: Semaphore;
  logger: Logger;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Bridges a login's events in the order Signal delivered them, chat by chat (ChatLanes, lanes
 * keyed by liveChatKey): the events of one chat one after another, those of different chats at
 * the same time (at most `concurrency` of them, and within `totalSlots`). An event of no single
 * chat (contact and storage syncs, reads, receipts, answers to message requests, ...) waits for
 * all earlier events, and all later ones wait for it.
 */
export class LoginEventQueue {
  private readonly lanes: ChatLanes;
  private readonly slots: Semaphore;
  /** Marks of handled events not committed yet. */
  private readonly marking = new Set<Promise<void>>();

  constructor(private readonly options: LoginEventQueueOptions) {
    this.lanes = new ChatLanes({
      onError: (error) => options.logger.error(`bridging an event of ${options.userId} failed`, error),
    });
    this.slots = new Semaphore(options.concurrency);
  }

  push(event: BufferedSignalEvent): void {
    const handedAt = Date.now();
    const lane = liveChatKey(this.options.userId, this.options.ownAci, event);
    this.lanes.push(lane, () => this.handleWithRetries(event, handedAt));
  }

  /** Resolves once every event pushed so far is done with (and marked so), or left for the next start. */
  async idle(): Promise<void> {
    await this.lanes.idle();
    await Promise.all(this.marking);
  }

  /**
   * Bridges one event, waiting out a homeserver (or Signal) that is away for as long as it takes:
   * the chat's later events wait behind it, so none overtakes; while it waits it holds no slot,
   * so other chats go on. A failure that retrying cannot fix (a refusal, a bug) is logged with
   * the event and the event is marked handled, so one bad message never blocks the chat.
   * Stopped (logout, shutdown): the event stays buffered and is bridged at the next start; false
   * then.
   */
  private async handleWithRetries(event: BufferedSignalEvent, handedAt: number): Promise<boolean> {
    const { userId, ownAci, stop, totalSlots } = this.options;
    const logger = this.options.logger.with({
      user: userId,
      login: ownAci,
      signal_event: event.id,
      ...(event.sender ? { signal_message: `${event.sender.aci}/${event.timestamp}` } : {}),
    });
    let outcome: RelayOutcome;
    try {
      const result = await retryWhileTransient(
        () =>
          this.slots.run(() =>
            totalSlots.run(() => {
              logger.debug(`bridging ${event.type} ${event.id} of ${userId}`);
              return this.options.handle(event);
            }),
          ),
        {
          signal: stop,
          ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
          ...(this.options.reconsider ? { reconsider: this.options.reconsider } : {}),
          onRetry: (error, attempt, delayMs) => {
            const line = `bridging ${event.type} ${event.id} of ${userId} failed (attempt ${attempt}); trying again in ${Math.round(delayMs / 1000)} s, later events of the chat wait: ${(error as Error).message}`;
            if (attempt === 1 || attempt % 10 === 0) logger.warn(line);
            else logger.debug(line);
          },
        },
      );
      outcome = result ?? "bridged";
    } catch (error) {
      if (error instanceof RetryStoppedError || stop.aborted) return false;
      logger.error(`bridging ${event.type} ${event.id} of ${userId} failed for good; skipped`, error);
      outcome = "failed";
    }
    // The chat's next event does not wait for this mark to be committed (it shares a commit with
    // the marks of other events, see SignalClient.markHandled): until it is, a restart delivers
    // the event again, and bridging it again sends nothing twice (the message's recorded parts,
    // idempotent transaction IDs).
    const marked = this.options.markHandled(event.id).then(
      () => {
        try {
          this.options.settled?.(event, outcome, handedAt);
        } catch (error) {
          logger.error("the login observer failed", error);
        }
      },
      (error: unknown) =>
        logger.error(`marking ${event.id} handled failed; it is bridged again at the next start`, error),
    );
    this.marking.add(marked);
    void marked.then(() => this.marking.delete(marked));
    return true;
  }
}
