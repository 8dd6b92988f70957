import type { Logger } from "../../logger.js";
import type { HistoryItem } from "../../signal/index.js";
import type { HistoryChatRow, PortalRow, Store } from "../../store/index.js";
import type { ContactNameDirectory } from "../contact-names.js";
import type { Ghosts } from "../ghosts.js";
import type { Login } from "../logins.js";
import { openDirectChat } from "../open-direct-chat.js";
import type { Portals } from "../portals.js";
import { RetryStoppedError, retryWhileTransient } from "../retry-policy.js";
import type { PlannedChat } from "./history-plan.js";

/** Shows one message of the history in a portal (SignalToMatrix.backfill). */
export type ShowHistoryItem = (login: Login, portal: PortalRow, item: HistoryItem) => Promise<void>;

/** The portal of a group, brought up to date (GroupPortalSync.portalOf). */
export type GroupPortalOf = (login: Login, masterKey: Uint8Array) => Promise<PortalRow>;

export interface ChatBackfillDeps {
  store: Store;
  portals: Portals;
  ghosts: Ghosts;
  names: ContactNameDirectory;
  groupPortalOf: GroupPortalOf;
  show: ShowHistoryItem;
  logger: Logger;
}

/** How a chat's backfill ended. */
export type ChatBackfillResult = { kind: "done"; portal: PortalRow } | { kind: "failed"; problem: string };

/**
 * Fills a chat's portal (created if needed, the user invited) with its history, oldest first,
 * and marks the chat done. Progress is stored after each item, so a restart goes on from there;
 * history older than what the portal already showed when the backfill began is left out, since
 * it could only appear after it. A homeserver or Signal that is away is waited for (a stop ends
 * the wait with RetryStoppedError, the chat staying pending); a message that cannot be shown
 * is logged and skipped; a portal that cannot be made fails the chat.
 */
export async function backfillChat(
  deps: ChatBackfillDeps,
  login: Login,
  row: HistoryChatRow,
  chat: PlannedChat,
): Promise<ChatBackfillResult> {
  const { store, logger } = deps;
  const history = store.history;
  const retry = <T>(what: string, operation: () => Promise<T>) =>
    retryWhileTransient(operation, {
      signal: login.signal,
      onRetry: (error, attempt, delayMs) => {
        const line = `${what} for the history of ${login.userId} failed (attempt ${attempt}); trying again in ${Math.round(delayMs / 1000)} s: ${(error as Error).message}`;
        if (attempt === 1 || attempt % 10 === 0) logger.warn(line);
        else logger.debug(line);
      },
    });

  let portal: PortalRow;
  try {
    portal = await retry(`opening ${chat.portalKey}`, () => portalOf(deps, login, chat));
  } catch (error) {
    if (error instanceof RetryStoppedError || login.signal.aborted) throw error;
    logger.warn(`no portal for ${chat.portalKey} of ${login.userId}; its history is left out`, error);
    await history.setChatState(login.userId, row.position, "failed");
    return { kind: "failed", problem: (error as Error).message };
  }

  let cutoff = row.cutoff;
  if (cutoff === undefined) {
    cutoff = (await store.bridge.newestMessageAt(portal.roomId)) ?? 0;
    await history.setCutoff(login.userId, row.position, cutoff);
  }
  for (let index = row.nextItem; index < chat.items.length; index++) {
    // A retry makes its first attempt even when stopped; a stop must end the chat here instead.
    if (login.signal.aborted) throw new RetryStoppedError("stopped during a history backfill");
    const item = chat.items[index]!;
    if (item.sentAt >= cutoff) {
      try {
        await retry(`showing ${describe(item)}`, () => deps.show(login, portal, item));
      } catch (error) {
        if (error instanceof RetryStoppedError || login.signal.aborted) throw error;
        logger.error(`${describe(item)} of ${login.userId}'s history could not be shown; skipped`, error);
      }
    }
    await history.setNextItem(login.userId, row.position, index + 1);
  }
  await history.setChatState(login.userId, row.position, "done");
  return { kind: "done", portal };
}

async function portalOf(deps: ChatBackfillDeps, login: Login, chat: PlannedChat): Promise<PortalRow> {
  if (chat.peer.kind === "group") return deps.groupPortalOf(login, chat.peer.masterKey);
  return (await openDirectChat(deps, login, chat.peer.aci)).portal;
}

function describe(item: HistoryItem): string {
  return `${item.message.reaction ? "reaction" : "message"} ${item.authorAci}/${item.sentAt}`;
}
