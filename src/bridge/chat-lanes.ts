// The order in which one login's Signal events are bridged: one lane per chat, lanes side by side.
// Work of a lane runs strictly after the lane's earlier work; work of no lane (a barrier) runs
// after everything pushed before it and before everything pushed after it.

/** Work of a lane: resolves true when done with, false when it was left undone (a stop). */
export type LaneWork = () => Promise<boolean>;

export interface ChatLanesOptions {
  /** Told of work that rejected (a bug: work is expected to report its own failures). */
  onError(error: unknown): void;
}

/**
 * Orders work by chat: pushed work of one lane runs one after another, in the order pushed;
 * different lanes run at the same time (how many at once is capped by the work itself, which
 * waits for a slot). Work pushed with no lane is a barrier: it starts once all work pushed
 * before it has finished, and all work pushed after it starts once it has finished.
 *
 * Once a piece of work is left undone (resolves false: the login is stopping), nothing that was
 * not started yet runs any more, in any lane: it stays buffered and is redone, in order, at the
 * next start.
 */
export class ChatLanes {
  /** The last work of each lane pushed since the last barrier (dropped once it has finished). */
  private readonly tails = new Map<string, Promise<void>>();
  /** The last barrier pushed; lanes started after it wait for it. */
  private barrier: Promise<void> = Promise.resolve();
  private readonly pending = new Set<Promise<void>>();
  private halted = false;

  constructor(private readonly options: ChatLanesOptions) {}

  push(lane: string | null, work: LaneWork): void {
    let after: Promise<unknown>;
    if (lane === null) {
      after = this.tails.size === 0 ? this.barrier : Promise.all([this.barrier, ...this.tails.values()]);
      this.tails.clear();
    } else {
      after = this.tails.get(lane) ?? this.barrier;
    }
    const task = after.then(() => this.run(work));
    if (lane === null) {
      this.barrier = task;
    } else {
      this.tails.set(lane, task);
    }
    this.pending.add(task);
    void task.then(() => {
      this.pending.delete(task);
      if (lane !== null && this.tails.get(lane) === task) this.tails.delete(lane);
    });
  }

  /** Resolves once all work pushed so far (and any pushed while waiting) has finished or was left. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /** Lanes with work waiting or running (for tests). */
  get laneCount(): number {
    return this.tails.size;
  }

  private async run(work: LaneWork): Promise<void> {
    if (this.halted) return;
    try {
      if (!(await work())) this.halted = true;
    } catch (error) {
      this.options.onError(error);
    }
  }
}
