import type { Logger } from "../../logger.js";
import type { Store } from "../../store/index.js";
import type { ContactNameDirectory } from "../contact-names.js";
import type { Ghosts } from "../ghosts.js";
import type { GroupDirectory } from "../group-directory.js";
import type { GroupPortalSync } from "../group-portal-sync.js";
import type { Login, LoginManager } from "../logins.js";
import type { PhoneNumberDiscovery } from "../phone-number-lookup.js";
import type { Portals } from "../portals.js";
import type { DoublePuppets } from "../puppets/index.js";
import type { RateLimitChallenges } from "../rate-limit-challenges.js";
import type { MessageRequests } from "../message-requests.js";
import type { RelayMode } from "../relay-mode/index.js";

/** What the account and contact commands work with; one set for the whole bridge. */
export interface CommandDeps {
  store: Store;
  logins: LoginManager;
  portals: Portals;
  ghosts: Ghosts;
  names: ContactNameDirectory;
  groups: GroupDirectory;
  groupPortals: GroupPortalSync;
  /** Who has a phone number on Signal, for numbers not among the contacts. */
  discovery: PhoneNumberDiscovery;
  /** Signal's rate-limit challenges waiting for the user's captcha. */
  challenges: RateLimitChallenges;
  /** Relay mode of portals (set-relay), and whose account is in a portal's chat. */
  relay: RelayMode;
  /** Message requests and blocked chats. */
  requests: MessageRequests;
  /** Users' own Matrix accounts (login-matrix, logout-matrix). */
  doublePuppets: DoublePuppets;
  logger: Logger;
}

/** The user's running login, or undefined after telling them they have none. */
export async function requireLogin(
  logins: LoginManager,
  userId: string,
  reply: (text: string) => Promise<void>,
): Promise<Login | undefined> {
  const login = logins.loginOf(userId);
  if (!login) await reply("You are not logged in. Send login to link your Signal account first.");
  return login;
}

/** A matrix.to link a client shows as a clickable room. */
export function roomLink(roomId: string): string {
  return `https://matrix.to/#/${encodeURIComponent(roomId)}`;
}
