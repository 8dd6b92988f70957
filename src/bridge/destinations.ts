import type { Destination } from "../signal/index.js";
import type { PortalRow } from "../store/index.js";
import type { GroupDirectory } from "./group-directory.js";
import type { Login } from "./logins.js";

/** Where Signal traffic for a portal goes: the contact, or every member of the group. */
export async function destinationOf(
  groups: GroupDirectory,
  login: Login,
  portal: PortalRow,
): Promise<Destination> {
  if (portal.kind === "direct") return { kind: "direct", aci: portal.chatId };
  const group = await groups.byId(login, portal.chatId);
  return {
    kind: "group",
    masterKey: group.masterKey,
    revision: group.revision,
    memberAcis: group.members.map((m) => m.aci),
  };
}
