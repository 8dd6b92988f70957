// Keeps contacts' profiles in memory for a while so that every message does not cost a profile
// request, and writes each fetched display name to the stored recipient.
import type { ChatRequester } from "../chat-api.js";
import type { SignalStorage } from "../storage.js";
import { fetchProfile, profileDisplayName, type SignalProfile } from "./profile-fetch.js";

// Names and avatars change rarely; an hour keeps requests few and shows changes the same day.
const DEFAULT_TTL_MS = 60 * 60 * 1000;

export interface ProfileCacheOptions {
  storage: SignalStorage;
  /** The chat connection to fetch over (may wait for one to be open). */
  connection: () => Promise<ChatRequester>;
  /** True when `connection` gives an unauthenticated connection (see FetchProfileOptions). */
  unidentified?: boolean;
  /** How long a fetched profile is served without asking the server again. */
  ttlMs?: number;
  /** Clock in ms; replaceable so that expiry can be tested. */
  now?: () => number;
}

interface Entry {
  profile: SignalProfile;
  profileKey: Uint8Array;
  fetchedAt: number;
}

export class ProfileCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<SignalProfile>>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ProfileCacheOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /**
   * The profile of `aci`, fetched with the profile key stored for that recipient unless a copy for
   * the same key fetched less than `maxAgeMs` ago (default: the cache's TTL; `refresh`: 0) is
   * cached. Null when no profile key is known (nothing can be decrypted).
   */
  async get(
    aci: string,
    options: { refresh?: boolean; maxAgeMs?: number } = {},
  ): Promise<SignalProfile | null> {
    const profileKey = (await this.options.storage.getRecipient(aci))?.profileKey;
    if (!profileKey) return null;
    const cached = this.entries.get(aci);
    const maxAgeMs = options.refresh ? 0 : (options.maxAgeMs ?? this.ttlMs);
    if (
      cached &&
      Buffer.from(cached.profileKey).equals(Buffer.from(profileKey)) &&
      this.now() - cached.fetchedAt < maxAgeMs
    ) {
      return cached.profile;
    }
    let pending = this.inFlight.get(aci);
    if (!pending) {
      pending = this.fetch(aci, profileKey).finally(() => this.inFlight.delete(aci));
      this.inFlight.set(aci, pending);
    }
    return pending;
  }

  /** When the cached profile of `aci` was fetched (by the cache's clock), or undefined if none is. */
  fetchedAt(aci: string): number | undefined {
    return this.entries.get(aci)?.fetchedAt;
  }

  /** Forgets a cached profile (e.g. after the contact announced a profile change). */
  invalidate(aci: string): void {
    this.entries.delete(aci);
  }

  private async fetch(aci: string, profileKey: Uint8Array): Promise<SignalProfile> {
    const profile = await fetchProfile(await this.options.connection(), aci, profileKey, {
      unidentified: this.options.unidentified,
    });
    this.entries.set(aci, { profile, profileKey, fetchedAt: this.now() });
    await this.rememberName(aci, profile);
    return profile;
  }

  private async rememberName(aci: string, profile: SignalProfile): Promise<void> {
    const recipient = await this.options.storage.getRecipient(aci);
    const profileName = profileDisplayName(profile);
    if (!recipient || recipient.profileName === profileName) return;
    await this.options.storage.commit([{ type: "recipient", recipient: { ...recipient, profileName } }]);
  }
}
