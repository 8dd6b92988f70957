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

/**
 * Names of Signal contacts as one login knows them: the profile name (fetched with the contact's
 * profile key and cached), else the phone's contact name, else the number.
 */
export class ContactNameDirectory {
  // Per client, not per user: after logout and a new login the old chat and storage are gone.
  private readonly profiles = new WeakMap<SignalClient, ProfileCache>();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
  ) {}

  /**
   * The contact's names, and their profile avatar when the profile could be read (left out when
   * it could not, so a ghost keeps the avatar it has).
   */
  async namesOf(login: Login, aci: string): Promise<ContactNames> {
    const recipient = await this.store.signalStorage(login.userId).getRecipient(aci);
    const names: ContactNames = {
      profileName: recipient?.profileName ?? null,
      contactName: recipient?.contactName ?? null,
      number: recipient?.number ?? null,
    };
    const profileKey = recipient?.profileKey;
    if (!profileKey) return names;
    try {
      const profile = await this.profilesOf(login).get(aci);
      if (!profile) return names;
      const avatarPath = profile.avatarPath;
      const { environment } = login.client;
      return {
        ...names,
        profileName: profileDisplayName(profile) ?? names.profileName,
        avatar: avatarPath
          ? { key: avatarPath, download: () => downloadProfileAvatar(environment, avatarPath, profileKey) }
          : null,
      };
    } catch (error) {
      this.logger.debug(`profile of ${aci} unavailable: ${(error as Error).message}`);
      return names;
    }
  }

  private profilesOf(login: Login): ProfileCache {
    let cache = this.profiles.get(login.client);
    if (!cache) {
      const chat = login.client.chat;
      cache = new ProfileCache({
        storage: this.store.signalStorage(login.userId),
        connection: async () => chat,
      });
      this.profiles.set(login.client, cache);
    }
    return cache;
  }
}
