// Group links (https://signal.group/#...): the fragment is a base64url GroupInviteLink holding the
// group's master key and the link's password. Whoever has the link can see the group's title and
// join it (or ask to), as far as the group's link setting allows.
import { signalservice } from "../../proto/generated/signal.js";
import { SignalClientError } from "../errors.js";

/** The text is no Signal group link, or a malformed one. */
export class InvalidGroupLinkError extends SignalClientError {}

export interface GroupInviteLink {
  /** SECRET: whoever has it can read the group. */
  masterKey: Uint8Array;
  /** SECRET: what the groups service checks before letting someone in by the link. */
  password: Uint8Array;
}

const LINK = /^(?:https:\/\/signal\.group|sgnl:\/\/signal\.group)\/#([A-Za-z0-9_-]+={0,2})$/;
const MASTER_KEY_BYTES = 32;

export function parseGroupInviteLink(text: string): GroupInviteLink {
  const fragment = LINK.exec(text.trim())?.[1];
  if (!fragment)
    throw new InvalidGroupLinkError("That is not a Signal group link (https://signal.group/#...).");
  let contents: signalservice.GroupInviteLink.IGroupInviteLinkContentsV1 | null | undefined;
  try {
    contents = signalservice.GroupInviteLink.decode(Buffer.from(fragment, "base64url")).contentsV1;
  } catch {
    contents = undefined;
  }
  const masterKey = contents?.groupMasterKey;
  const password = contents?.inviteLinkPassword;
  if (!masterKey || masterKey.length !== MASTER_KEY_BYTES || !password?.length) {
    throw new InvalidGroupLinkError("That Signal group link is damaged: it does not name a group.");
  }
  return { masterKey: new Uint8Array(masterKey), password: new Uint8Array(password) };
}

/** The link for a group whose link is on. */
export function groupInviteLinkOf(link: GroupInviteLink): string {
  const encoded = signalservice.GroupInviteLink.encode({
    contentsV1: { groupMasterKey: link.masterKey, inviteLinkPassword: link.password },
  }).finish();
  return `https://signal.group/#${Buffer.from(encoded).toString("base64url")}`;
}
