import { type BufferedSignalEvent, groupIdOf } from "../signal/index.js";
import { Portals } from "./portals.js";

/**
 * The portal key of the chat a live Signal event belongs to, or null for events of no one chat
 * (receipts, syncs of contacts or storage, reads, answers to message requests). The login's
 * events of one chat are bridged in order, chats side by side (see LoginManager); the history
 * import shows a chat's history before its first live event.
 */
export function liveChatKey(userId: string, ownAci: string, event: BufferedSignalEvent): string | null {
  switch (event.type) {
    case "message":
    case "edit":
    case "reaction":
    case "delete":
    case "story":
      return event.groupMasterKey
        ? Portals.groupKey(groupIdOf(event.groupMasterKey))
        : Portals.directKey(userId, event.sender.aci);
    case "sync-sent":
      return event.groupMasterKey
        ? Portals.groupKey(groupIdOf(event.groupMasterKey))
        : Portals.directKey(userId, event.destinationServiceId ?? ownAci);
    case "typing":
      return event.groupId
        ? Portals.groupKey(Buffer.from(event.groupId).toString("base64"))
        : Portals.directKey(userId, event.sender.aci);
    case "call":
      return Portals.directKey(userId, event.sender.aci);
    case "decryption-error":
      return event.sender ? Portals.directKey(userId, event.sender.aci) : null;
    default:
      return null;
  }
}
