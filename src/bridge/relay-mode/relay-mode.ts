import type { PermissionLevel } from "../../config/index.js";
import type { PortalRow, Store } from "../../store/index.js";
import type { GroupDirectory } from "../group-directory.js";
import type { Login, LoginManager } from "../logins.js";
import { hasPermission, permissionLevelOf } from "../permissions.js";
import type { RelayFormats } from "./relay-format.js";

export interface RelaySettings {
  enabled: boolean;
  admin_only: boolean;
  message_formats: RelayFormats;
}

export interface RelayModeOptions {
  store: Store;
  logins: LoginManager;
  groups: GroupDirectory;
  permissions: Record<string, PermissionLevel>;
  settings: RelaySettings;
  /** The name a Matrix user shows in a room (their member display name), if they have one. */
  displayNameIn(portal: PortalRow, userId: string): Promise<string | undefined>;
}

/** Whose Signal account sends what a Matrix user writes in a portal. */
export type SendingAccount =
  /** Their own. */
  | { kind: "own"; login: Login }
  /** The portal's relay, with the writer's name. */
  | { kind: "relay"; login: Login; writer: { userId: string; name: string } }
  /** Nobody's: `reason` tells the writer why. */
  | { kind: "none"; reason: string };

/**
 * Relay mode: a logged-in user lets their Signal account send, with the writer's name, what
 * Matrix users without a Signal login for the chat write in a portal.
 */
export class RelayMode {
  constructor(private readonly options: RelayModeOptions) {}

  get formats(): RelayFormats {
    return this.options.settings.message_formats;
  }

  /** Whether `login`'s Signal account is in the portal's chat (its owner, or a group member). */
  async hasChat(login: Login, portal: PortalRow): Promise<boolean> {
    if (portal.kind === "direct") return portal.receiver === login.userId;
    return this.options.groups.isMember(login, portal.chatId);
  }

  /** The account that sends for `userId` in `portal`: theirs, the relay's, or none (and why). */
  async accountFor(portal: PortalRow, userId: string): Promise<SendingAccount> {
    const { logins, store, permissions, settings } = this.options;
    const own = logins.loginOf(userId);
    if (own && (await this.hasChat(own, portal))) return { kind: "own", login: own };
    const noLogin =
      own && portal.kind === "group"
        ? "Your Signal account is not a member of this group, as far as the bridge knows."
        : 'You have no Signal login for this chat. Send "login" to the bridge bot to link one.';
    const relayUser = settings.enabled ? await store.bridge.relayOf(portal.portalKey) : undefined;
    if (!relayUser || !hasPermission(permissionLevelOf(userId, permissions), "relay")) {
      return { kind: "none", reason: noLogin };
    }
    const relay = logins.loginOf(relayUser);
    if (!relay || !(await this.hasChat(relay, portal))) {
      return {
        kind: "none",
        reason: `${noLogin} The relay of this room (${relayUser}) is not logged in to this chat any more.`,
      };
    }
    const name = (await this.options.displayNameIn(portal, userId)) || userId;
    return { kind: "relay", login: relay, writer: { userId, name } };
  }

  /** Why a user of permission `level` may not turn relay mode on or off; undefined when they may. */
  refusalToChange(level: PermissionLevel | undefined): string | undefined {
    const { settings } = this.options;
    if (!settings.enabled) return "Relay mode is turned off in this bridge's configuration.";
    if (settings.admin_only && !hasPermission(level, "admin")) {
      return "Only bridge admins may turn relay mode on or off.";
    }
    return undefined;
  }

  async relayOf(portal: PortalRow): Promise<string | undefined> {
    return await this.options.store.bridge.relayOf(portal.portalKey);
  }

  async setRelay(portal: PortalRow, userId: string | undefined): Promise<void> {
    await this.options.store.bridge.setRelay(portal.portalKey, userId);
  }
}
