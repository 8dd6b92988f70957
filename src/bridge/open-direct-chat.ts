import type { PortalRow, Store } from "../store/index.js";
import type { ContactNameDirectory } from "./contact-names.js";
import { bestName, type Ghosts } from "./ghosts.js";
import type { Login } from "./logins.js";
import { Portals } from "./portals.js";

export interface DirectChatDeps {
  store: Store;
  portals: Portals;
  ghosts: Ghosts;
  names: ContactNameDirectory;
}

export interface OpenedDirectChat {
  portal: PortalRow;
  /** The name the contact is shown by. */
  name: string;
  /** Whether the portal was there before (the user was invited again, in case they left). */
  existed: boolean;
}

/** The user's direct chat with a contact, created if needed, with the user invited to it. */
export async function openDirectChat(
  { store, portals, ghosts, names }: DirectChatDeps,
  login: Login,
  contactAci: string,
): Promise<OpenedDirectChat> {
  const contactNames = await names.namesOf(login, contactAci);
  const name = bestName(contactNames);
  const existed = (await store.bridge.portalByKey(Portals.directKey(login.userId, contactAci))) !== undefined;
  // The contact's ghost creates the room; it has its name before the user sees it.
  await ghosts.ensure(contactAci, contactNames);
  const portal = await portals.direct(login.userId, contactAci, name);
  if (existed) await portals.inviteToDirect(portal, login.userId);
  return { portal, name, existed };
}
