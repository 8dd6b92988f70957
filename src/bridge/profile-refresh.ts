import type { Logger } from "../logger.js";

/**
 * Whether a profile fetched at `fetchedAt` should be fetched again, `intervalMs` being the
 * longest a name may lag behind. One never fetched is not due: looking the names up fetches it.
 */
export function profileRefreshDue(fetchedAt: number | undefined, now: number, intervalMs: number): boolean {
  return fetchedAt !== undefined && now - fetchedAt >= intervalMs;
}

export interface ProfileRefresherOptions {
  intervalMs: number;
  /** Clock in ms, the same as the profiles' fetch times are read with. */
  now: () => number;
  logger: Logger;
}

/**
 * Starts profile refreshes in the background, at most one at a time per contact, so that
 * whatever asked (a message being bridged) never waits for one.
 */
export class ProfileRefresher {
  private readonly running = new Set<string>();

  constructor(private readonly options: ProfileRefresherOptions) {}

  /**
   * Starts `refresh` unless the profile behind `key` was fetched within the interval or a refresh
   * of `key` is still running; returns whether it started one. A failure is logged, not thrown.
   */
  refreshIfDue(key: string, fetchedAt: number | undefined, refresh: () => Promise<void>): boolean {
    const { now, intervalMs, logger } = this.options;
    if (this.running.has(key) || !profileRefreshDue(fetchedAt, now(), intervalMs)) return false;
    this.running.add(key);
    void (async () => {
      try {
        await refresh();
      } catch (error) {
        logger.debug(`profile refresh of ${key} failed: ${(error as Error).message}`);
      } finally {
        this.running.delete(key);
      }
    })();
    return true;
  }
}
