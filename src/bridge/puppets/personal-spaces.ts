import type { Intent } from "matrix-appservice-bridge";
import type { Logger } from "../../logger.js";
import type { BridgeTables } from "../../store/index.js";

// The space's avatar: a 1x1 PNG in Signal's blue (#3A76F0), so clients show it as a blue tile.
const SPACE_AVATAR = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGOwKvsAAAKOAaE+5EH7AAAAAElFTkSuQmCC",
  "base64",
);

export interface PersonalSpacesOptions {
  tables: Pick<BridgeTables, "spaceOf" | "setSpace">;
  /** The bot, which makes and owns every space. */
  bot: () => Intent;
  serverName: string;
  /** Joins the user with a double puppet; false without one (then they are invited). */
  joinAsUser(userId: string, roomId: string): Promise<boolean>;
  logger: Logger;
}

/**
 * Each user's "Signal" space: a space room the bot owns, holding all of the user's portals, so
 * clients can show the Signal chats apart (`bridge.personal_filtering_spaces`).
 */
export class PersonalSpaces {
  /** Portals known to be in the user's space during this run. */
  private readonly added = new Set<string>();
  private readonly creating = new Map<string, Promise<string>>();
  private avatarUrl: string | undefined;

  constructor(private readonly options: PersonalSpacesOptions) {}

  /**
   * Puts a portal into the user's space (making the space first if they have none). A space is
   * an aid to finding chats: failing to fill it is logged, never a reason to hold a message.
   */
  async add(userId: string, portalRoomId: string): Promise<void> {
    const key = `${userId}\0${portalRoomId}`;
    if (this.added.has(key)) return;
    try {
      const spaceId = await this.spaceOf(userId);
      await this.options
        .bot()
        .sendStateEvent(spaceId, "m.space.child", portalRoomId, { via: [this.options.serverName] });
      this.added.add(key);
    } catch (error) {
      this.options.logger.warn(
        `could not put ${portalRoomId} into the Signal space of ${userId}: ${(error as Error).message}`,
      );
    }
  }

  private spaceOf(userId: string): Promise<string> {
    // Registered before the first await, so concurrent callers share one lookup and creation.
    const pending = this.creating.get(userId);
    if (pending) return pending;
    const finding = (async () =>
      (await this.options.tables.spaceOf(userId)) ?? (await this.create(userId)))().finally(() =>
      this.creating.delete(userId),
    );
    this.creating.set(userId, finding);
    return finding;
  }

  private async create(userId: string): Promise<string> {
    const bot = this.options.bot();
    this.avatarUrl ??= await bot.uploadContent(SPACE_AVATAR, { name: "signal-space.png", type: "image/png" });
    const { room_id: roomId } = (await bot.createRoom({
      createAsClient: true,
      options: {
        name: "Signal",
        topic: "Your Signal chats, bridged",
        preset: "private_chat",
        visibility: "private",
        creation_content: { type: "m.space" },
        invite: [userId],
        initial_state: [{ type: "m.room.avatar", state_key: "", content: { url: this.avatarUrl } }],
        // Only the bot (the creator) changes what the space holds.
        power_level_content_override: { events_default: 100 },
      },
    })) as { room_id: string };
    await this.options.tables.setSpace(userId, roomId);
    await this.options.joinAsUser(userId, roomId);
    this.options.logger.info(`created the Signal space ${roomId} of ${userId}`);
    return roomId;
  }
}
