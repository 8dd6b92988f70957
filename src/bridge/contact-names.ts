import type { Logger } from "../logger.js";
import {
  downloadProfileAvatar,
  ProfileCache,
  profileDisplayName,
  type SignalClient,
} from "../signal/index.js";
import type { Store } from "../store/index.js";
import type { ContactNames } from "./ghosts.js";
import type { Login } from "./logins.js";
import { ProfileRefresher } from "./profile-refresh.js";

export interface ContactNameOptions {
  /**
   * A contact's profile older than this is fetched again when they are active (refreshIfDue), and
   * when the phone's contacts change (namesOf with `current`).
   */
  profileRefreshMs: number;
  /** Shows names a background refresh read (the ghost's name and picture). */
  onRefreshed: (login: Login, aci: string, names: ContactNames) => Promise<void>;
  /** Clock in ms; replaceable so that refresh decisions can be tested. */
  now?: () => number;
}

/**
 * Names of Signal contacts as one login knows them: the profile name (fetched with the contact's
 * profile key and cached), else the phone's contact name, else the number.
 */
export class ContactNameDirectory {
  // Per client, not per user: after logout and a new login the old chat and storage are gone.
  private readonly profiles = new WeakMap<SignalClient, ProfileCache>();
  private readonly refresher: ProfileRefresher;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly options: ContactNameOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.refresher = new ProfileRefresher({ intervalMs: options.profileRefreshMs, now: this.now, logger });
  }

  /**
   * The contact's names, and their profile avatar when the profile could be read (left out when
   * it could not, so a ghost keeps the avatar it has). With `current`, a profile older than the
   * refresh interval is fetched again first (for syncs, which nobody waits for).
   */
  async namesOf(login: Login, aci: string, options: { current?: boolean } = {}): Promise<ContactNames> {
    const maxAgeMs = options.current ? this.options.profileRefreshMs : undefined;
    return (await this.lookUp(login, aci, maxAgeMs)).names;
  }

  /**
   * The contact was active (sent something): when their profile is older than the refresh
   * interval, fetches it again in the background and shows the names it brings. Returns at once.
   */
  refreshIfDue(login: Login, aci: string): void {
    const fetchedAt = this.profilesOf(login).fetchedAt(aci);
    this.refresher.refreshIfDue(`${login.userId} ${aci}`, fetchedAt, async () => {
      const { names, fromProfile } = await this.lookUp(login, aci, 0);
      if (fromProfile) await this.options.onRefreshed(login, aci, names);
    });
  }

  private async lookUp(
    login: Login,
    aci: string,
    maxAgeMs: number | undefined,
  ): Promise<{ names: ContactNames; fromProfile: boolean }> {
    const recipient = await (await this.store.signalStorage(login.userId)).getRecipient(aci);
    const names: ContactNames = {
      profileName: recipient?.profileName ?? null,
      contactName: recipient?.contactName ?? null,
      number: recipient?.number ?? null,
    };
    const profileKey = recipient?.profileKey;
    if (!profileKey) return { names, fromProfile: false };
    try {
      const cache = this.profilesOf(login);
      const profile = await cache.get(aci, { maxAgeMs });
      if (!profile) return { names, fromProfile: false };
      const avatarPath = profile.avatarPath;
      const { environment } = login.client;
      const fromProfile: ContactNames = {
        ...names,
        profileName: profileDisplayName(profile) ?? names.profileName,
        avatar: avatarPath
          ? { key: avatarPath, download: () => downloadProfileAvatar(environment, avatarPath, profileKey) }
          : null,
        fetchedAt: cache.fetchedAt(aci),
      };
      return { names: fromProfile, fromProfile: true };
    } catch (error) {
      this.logger.debug(`profile of ${aci} unavailable: ${(error as Error).message}`);
      return { names, fromProfile: false };
    }
  }

  private profilesOf(login: Login): ProfileCache {
    let cache = this.profiles.get(login.client);
    if (!cache) {
      const chat = login.client.chat;
      cache = new ProfileCache({
        storage: login.client.storage,
        connection: async () => chat,
        now: this.now,
      });
      this.profiles.set(login.client, cache);
    }
    return cache;
  }
}
