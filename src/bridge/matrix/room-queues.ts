// Handles the journal room by room: strictly in order within a room, rooms side by side. A room
// whose event fails for a passing reason waits and tries the same event again, holding its later
// events back; other rooms go on. The journal itself is the queue, so nothing waits in memory
// but one entry per busy room, and what a crash interrupts is where the next start begins.
import type { Logger } from "../../logger.js";
import type { JournalEntry, MatrixJournal } from "../../store/index.js";
import type { RelayOutcome } from "../relay-outcome.js";
import { abortableSleep, RetryStoppedError, retryWhileTransient } from "../retry-policy.js";
import { Semaphore } from "../semaphore.js";

export interface RoomQueuesOptions {
  journal: Pick<MatrixJournal, "nextPending" | "markHandled" | "pendingRooms">;
  /** Handles one entry; a transient failure (see retry-policy) is retried, any other one skips it. */
  handle(entry: JournalEntry): Promise<RelayOutcome | void>;
  /** Told how each entry ended (a failure that skipped it is "failed"); not told of entries a stop left. */
  onSettled?: (entry: JournalEntry, outcome: RelayOutcome) => void;
  /** How many entries are handled at the same time, across rooms. */
  concurrency: number;
  logger: Logger;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** See RetryOptions.reconsider. */
  reconsider?: (error: unknown) => Promise<boolean>;
}

/** How long stop() waits for entries in hand to finish; what is left resumes at the next start. */
const STOP_GRACE_MS = 10_000;

export class RoomQueues {
  private readonly busyRooms = new Map<string, Promise<void>>();
  private readonly slots: Semaphore;
  private readonly stopping = new AbortController();
  /** Aborted (and replaced) to end every wait before a retry at once; see retryWaitingNow(). */
  private wakeUp = new AbortController();
  /** Until resumeAll(), new entries only wait in the journal: the bridge is still starting. */
  private started = false;

  constructor(private readonly options: RoomQueuesOptions) {
    this.slots = new Semaphore(options.concurrency);
  }

  /** Starts handling: every room with entries waiting (from before a restart, or since start-up) first. */
  async resumeAll(): Promise<void> {
    this.started = true;
    const rooms = await this.options.journal.pendingRooms();
    if (rooms.length > 0)
      this.options.logger.info(`resuming Matrix events left unhandled in ${rooms.length} room(s)`);
    for (const roomId of rooms) this.kick(roomId);
  }

  /** The journal has new entries for `roomId`. */
  kick(roomId: string): void {
    if (!this.started || this.busyRooms.has(roomId) || this.stopping.signal.aborted) return;
    // Marked busy before draining starts; drain() clears the mark in the same step as it finds
    // the room empty, so an entry journaled in between always finds the room idle and kicks it.
    const work = Promise.resolve()
      .then(() => this.drain(roomId))
      .catch((error: unknown) => {
        this.options.logger.error(
          `reading the journal of ${roomId} failed; its events wait for the next one`,
          error,
        );
      });
    this.busyRooms.set(roomId, work);
  }

  /**
   * Rooms waiting to try an entry again do so now instead of at the end of their wait: what held
   * them was cleared (e.g. the user answered Signal's rate-limit challenge).
   */
  retryWaitingNow(): void {
    const waits = this.wakeUp;
    this.wakeUp = new AbortController();
    waits.abort();
  }

  /** Rooms being worked on now (for tests and metrics). */
  get busyRoomCount(): number {
    return this.busyRooms.size;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)));
    await Promise.race([Promise.allSettled(this.busyRooms.values()), grace]);
    clearTimeout(timer);
  }

  private async drain(roomId: string): Promise<void> {
    const { journal } = this.options;
    const signal = this.stopping.signal;
    try {
      for (;;) {
        if (signal.aborted) return;
        const entry = await journal.nextPending(roomId);
        if (!entry) return;
        const handled = await this.handleOne(entry, signal);
        if (!handled) return;
        await journal.markHandled(entry.seq);
      }
    } finally {
      this.busyRooms.delete(roomId);
    }
  }

  /** Waits `ms`, or less when woken by retryWaitingNow(); rejects when stopped. */
  private async waitBeforeRetry(ms: number, stop: AbortSignal): Promise<void> {
    const sleep = this.options.sleep ?? abortableSleep;
    try {
      await sleep(ms, AbortSignal.any([stop, this.wakeUp.signal]));
    } catch (error) {
      if (stop.aborted) throw error;
    }
  }

  /** False when stopped before the entry was done with (it stays in the journal). */
  private async handleOne(entry: JournalEntry, signal: AbortSignal): Promise<boolean> {
    const { event_id: eventId, sender } = entry.event;
    const logger = this.options.logger.with({
      room: entry.roomId,
      ...(typeof eventId === "string" ? { event: eventId } : {}),
      ...(typeof sender === "string" ? { user: sender } : {}),
    });
    logger.debug(`handling ${describe(entry)}`);
    let outcome: RelayOutcome;
    try {
      const result = await retryWhileTransient(() => this.slots.run(() => this.options.handle(entry)), {
        signal,
        sleep: (ms, stop) => this.waitBeforeRetry(ms, stop),
        ...(this.options.reconsider ? { reconsider: this.options.reconsider } : {}),
        onRetry: (error, attempt, delayMs) => {
          const line = `${describe(entry)} failed (attempt ${attempt}); trying again in ${Math.round(delayMs / 1000)} s, later events of the room wait: ${messageOf(error)}`;
          if (attempt === 1 || attempt % 10 === 0) logger.warn(line);
          else logger.debug(line);
        },
      });
      outcome = result ?? "bridged";
    } catch (error) {
      if (error instanceof RetryStoppedError || signal.aborted) return false;
      // A bug or a refusal that will not change: logged with what it was about, and skipped.
      logger.error(`${describe(entry)} could not be handled; skipped`, error);
      outcome = "failed";
    }
    try {
      this.options.onSettled?.(entry, outcome);
    } catch (error) {
      logger.error("reporting how an entry ended failed", error);
    }
    return true;
  }
}

function describe(entry: JournalEntry): string {
  const { event } = entry;
  const id = typeof event["event_id"] === "string" ? ` ${event["event_id"]}` : "";
  return `${String(event["type"])}${id} in ${entry.roomId}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
