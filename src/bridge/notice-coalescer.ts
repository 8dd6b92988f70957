/** Within this long after a failure notice in a room, further ones are held back and counted. */
const WINDOW_MS = 60_000;
/** Rooms remembered at most; the oldest are forgotten first (forgetting only lets a notice through). */
const MAX_ROOMS = 1000;

/**
 * Keeps failure notices from flooding a room: the first of a run is posted, the next ones within
 * a minute are held back (each message still gets its own failed status), and the first notice
 * after that says how many were held back.
 */
export class NoticeCoalescer {
  private readonly rooms = new Map<string, { postedAt: number; heldBack: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The notice to post now, or undefined when it is held back. */
  admit(roomId: string, text: string): string | undefined {
    const now = this.now();
    const last = this.rooms.get(roomId);
    if (last && now - last.postedAt < WINDOW_MS) {
      last.heldBack++;
      return undefined;
    }
    this.rooms.delete(roomId);
    this.rooms.set(roomId, { postedAt: now, heldBack: 0 });
    for (const oldest of this.rooms.keys()) {
      if (this.rooms.size <= MAX_ROOMS) break;
      this.rooms.delete(oldest);
    }
    if (!last?.heldBack) return text;
    const more = last.heldBack === 1 ? "1 similar notice" : `${last.heldBack} similar notices`;
    return `${text} (${more} before this one not shown)`;
  }
}
