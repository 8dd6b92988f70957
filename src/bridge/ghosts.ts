import type { Bridge, Intent } from "matrix-appservice-bridge";
import type { BridgeConfig } from "../config/index.js";
import type { BridgeTables } from "../store/index.js";

/** What is known about a Signal account's name, best source first. */
export interface ContactNames {
  profileName?: string | null;
  contactName?: string | null;
  number?: string | null;
}

/** The name a person sees: profile name, else contact name, else number, else "Unknown user". */
export function bestName(names: ContactNames | undefined): string {
  return names?.profileName || names?.contactName || names?.number || "Unknown user";
}

/** Ghost users: the Matrix users that stand for Signal accounts. */
export class Ghosts {
  constructor(
    private readonly bridge: Bridge,
    private readonly tables: BridgeTables,
    private readonly config: BridgeConfig,
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

  /** The ghost's intent, registered and showing the current name. */
  async ensure(aci: string, names: ContactNames | undefined): Promise<Intent> {
    const intent = this.bridge.getIntent(this.userIdOf(aci));
    await intent.ensureRegistered();
    const displayName = this.config.appservice.ghosts.display_name_template.replace(
      "{name}",
      bestName(names),
    );
    const known = this.tables.ghost(aci);
    if (known?.displayName !== displayName) {
      await intent.setDisplayName(displayName);
      this.tables.saveGhost({ aci, displayName, avatarUrl: known?.avatarUrl, avatarHash: known?.avatarHash });
    }
    return intent;
  }
}
