import type { Bridge, Intent } from "matrix-appservice-bridge";
import type { BridgeConfig } from "../config/index.js";
import type { Logger } from "../logger.js";
import type { BridgeTables, GhostRow } from "../store/index.js";
import { imageContentType } from "./image-content-type.js";

/** A profile avatar: `key` changes whenever the picture does (Signal stores each under a new path). */
export interface AvatarSource {
  key: string;
  download(): Promise<Uint8Array>;
}

/** What is known about a Signal account's name (best source first) and picture. */
export interface ContactNames {
  profileName?: string | null;
  contactName?: string | null;
  number?: string | null;
  /** The profile picture; null when the profile has none, undefined when unknown (left as it is). */
  avatar?: AvatarSource | null;
  /**
   * When the profile these names come from was fetched (ms). Names from a fetch older than the
   * one a ghost shows are not shown: a message bridged while a refresh ran must not undo it.
   */
  fetchedAt?: number | undefined;
}

/** The name a person sees: profile name, else contact name, else number, else "Unknown user". */
export function bestName(names: ContactNames | undefined): string {
  return names?.profileName || names?.contactName || names?.number || "Unknown user";
}

/** A picture that could not be fetched is not tried again for every message. */
const AVATAR_RETRY_MS = 60 * 60 * 1000;

/** Ghost users: the Matrix users that stand for Signal accounts. */
export class Ghosts {
  private readonly failedAvatars = new Map<string, { key: string | undefined; at: number }>();
  /** Per ghost, when the profile it shows was fetched (see ContactNames.fetchedAt). */
  private readonly shownProfileFetchedAt = new Map<string, number>();
  /** Per ghost, the profile update under way: updates of one ghost happen one after another. */
  private readonly updating = new Map<string, Promise<void>>();
  /**
   * The ghosts' rows as stored, read once: only this class writes them, and each bridged message
   * compares its author's names and picture with them.
   */
  private readonly rows = new Map<string, GhostRow | undefined>();
  /** Per ghost, its registration under way (see registered). */
  private readonly registering = new Map<string, Promise<void>>();

  constructor(
    private readonly bridge: Bridge,
    private readonly tables: BridgeTables,
    private readonly config: BridgeConfig,
    private readonly logger: Logger,
  ) {}

  userIdOf(aci: string): string {
    const localpart = this.config.appservice.ghosts.localpart_template.replace("{aci}", aci.toLowerCase());
    return `@${localpart}:${this.config.homeserver.domain}`;
  }

  /** The ACI behind a ghost user ID, or undefined for any other user. */
  aciOf(userId: string): string | undefined {
    const [before = "", after = ""] = this.config.appservice.ghosts.localpart_template.split("{aci}");
    const suffix = `${after}:${this.config.homeserver.domain}`;
    if (!userId.startsWith(`@${before}`) || !userId.endsWith(suffix)) return undefined;
    const aci = userId.slice(1 + before.length, userId.length - suffix.length);
    return /^[0-9a-f-]{36}$/.test(aci) ? aci : undefined;
  }

  /** The ghost's intent, registered and showing the current name and profile picture. */
  async ensure(aci: string, names: ContactNames | undefined): Promise<Intent> {
    const intent = this.bridge.getIntent(this.userIdOf(aci));
    await this.registered(aci, intent);
    await this.oneAtATime(aci, () => this.showNames(aci, intent, names));
    return intent;
  }

  private async showNames(aci: string, intent: Intent, names: ContactNames | undefined): Promise<void> {
    const fetchedAt = names?.fetchedAt;
    if (fetchedAt !== undefined) {
      if (fetchedAt < (this.shownProfileFetchedAt.get(aci) ?? -Infinity)) return;
      this.shownProfileFetchedAt.set(aci, fetchedAt);
    }
    const displayName = this.config.appservice.ghosts.display_name_template.replace(
      "{name}",
      bestName(names),
    );
    const known = await this.row(aci);
    if (known?.displayName !== displayName) {
      await intent.setDisplayName(displayName);
      await this.save({ aci, displayName, avatarUrl: known?.avatarUrl, avatarHash: known?.avatarHash });
    }
    if (names?.avatar !== undefined) await this.updateAvatar(aci, intent, names.avatar);
  }

  /**
   * Registers the ghost if it is new. Chats are bridged side by side, so the same new contact may
   * speak in two of them at once: they share one registration.
   */
  private async registered(aci: string, intent: Intent): Promise<void> {
    let registration = this.registering.get(aci);
    if (!registration) {
      registration = intent
        .ensureRegistered()
        .then(() => undefined)
        .finally(() => this.registering.delete(aci));
      this.registering.set(aci, registration);
    }
    await registration;
  }

  /** The ghost's stored row (names and picture it shows), or undefined when it was never made. */
  async known(aci: string): Promise<GhostRow | undefined> {
    return this.row(aci);
  }

  private async row(aci: string): Promise<GhostRow | undefined> {
    if (!this.rows.has(aci)) this.rows.set(aci, await this.tables.ghost(aci));
    return this.rows.get(aci);
  }

  private async save(row: GhostRow): Promise<void> {
    await this.tables.saveGhost(row);
    this.rows.set(row.aci, row);
  }

  private oneAtATime(aci: string, work: () => Promise<void>): Promise<void> {
    const next = (this.updating.get(aci) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.updating.set(aci, next);
    const forget = () => {
      if (this.updating.get(aci) === next) this.updating.delete(aci);
    };
    next.then(forget, forget);
    return next;
  }

  /**
   * Shows the profile picture when it changed. A picture that cannot be fetched is tried again
   * next time and never holds up the message being bridged.
   */
  private async updateAvatar(aci: string, intent: Intent, avatar: AvatarSource | null): Promise<void> {
    const known = await this.row(aci);
    if ((known?.avatarHash ?? null) === (avatar?.key ?? null)) return;
    const failed = this.failedAvatars.get(aci);
    if (failed && failed.key === avatar?.key && Date.now() - failed.at < AVATAR_RETRY_MS) return;
    try {
      let avatarUrl: string | undefined;
      if (avatar) {
        const image = Buffer.from(await avatar.download());
        avatarUrl = await intent.uploadContent(image, { name: "avatar", type: imageContentType(image) });
      }
      await intent.setAvatarUrl(avatarUrl ?? "");
      await this.save({
        aci,
        displayName: known?.displayName,
        avatarUrl,
        avatarHash: avatar?.key,
      });
      this.failedAvatars.delete(aci);
    } catch (error) {
      this.failedAvatars.set(aci, { key: avatar?.key, at: Date.now() });
      this.logger.warn(`could not update the avatar of ${aci}: ${(error as Error).message}`);
    }
  }
}
