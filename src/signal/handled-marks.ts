// Marks buffered events handled in batches: every mark asked for in one turn of the event loop
// goes into one commit, so a login bridging many chats at once pays one commit (one fsync) for
// all the events that finished together instead of one each.
import type { SignalStorage } from "./storage.js";

export class HandledMarks {
  private batch: { ids: string[]; committed: Promise<void> } | undefined;

  constructor(private readonly storage: Pick<SignalStorage, "commit">) {}

  /** Resolves once the event is durably marked handled (with the others of its batch). */
  mark(id: string): Promise<void> {
    if (this.batch) {
      this.batch.ids.push(id);
      return this.batch.committed;
    }
    const ids = [id];
    // Committed after this turn's other callbacks have added theirs.
    const committed = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.batch = undefined;
      return this.storage.commit(ids.map((key) => ({ type: "event-done" as const, key })));
    });
    this.batch = { ids, committed };
    return committed;
  }
}
