import type { Logger } from "../../logger.js";
import {
  type BufferedSignalEvent,
  type HistoryArchive,
  type HistoryItem,
  saveStorageContacts,
  type TransferArchiveAnswer,
  TransferArchiveError,
  type TransferArchiveLocation,
} from "../../signal/index.js";
import type { HistoryChatRow, HistoryImportState } from "../../store/index.js";
import type { Login, LoginStart } from "../logins.js";
import { RetryStoppedError, retryWhileTransient } from "../retry-policy.js";
import { backfillChat, type ChatBackfillDeps, type ChatBackfillResult } from "./chat-backfill.js";
import { decodePlannedChat, encodePlannedChat, isMessage, planChats } from "./history-plan.js";
import { liveChatKey } from "../signal-chat-key.js";

export interface BackfillSettings {
  enabled: boolean;
  maxPortals: number;
  maxInitialMessages: number;
}

export interface HistoryImporterOptions extends Omit<ChatBackfillDeps, "logger"> {
  settings: BackfillSettings;
  /** Tells a user something in their management room. */
  notifyUser(userId: string, text: string): Promise<void>;
  logger: Logger;
}

/**
 * How long after linking the phone may take to send its history. Live messages of the account
 * wait meanwhile (so none lands before the history of its chat); after this they go on without.
 */
const ARCHIVE_WAIT_MS = 15 * 60_000;
/** How long one request for the archive may be held by the server. */
const POLL_SECONDS = 300;
/** Progress notices come at most this often. */
const PROGRESS_INTERVAL_MS = 10_000;

/**
 * Brings in the history a phone transfers when the bridge is linked to it: waits for the archive,
 * reads it, makes portals for the recent chats (newest first) and fills each with its last
 * messages, telling the user how far it got. Everything is stored as it goes (store.history),
 * so a restart continues where it stopped.
 *
 * Live events of a chat whose history is not shown yet wait for it (see {@link beforeLive}):
 * until the archive is read, every live event of the account waits, since any chat may be in it.
 */
export class HistoryImporter {
  /** Per user: the wait for (and reading of) the archive, while it runs. */
  private readonly receiving = new Map<string, Promise<void>>();
  /** Per user and chat position: the backfill of a chat, while it runs. */
  private readonly backfills = new Map<string, Promise<ChatBackfillResult>>();
  private readonly running = new Set<Promise<void>>();
  /**
   * Users known to have no import under way (none, or done): their live events need not look
   * it up again. Only a new link (starting) begins an import.
   */
  private readonly noImport = new Set<string>();

  constructor(private readonly options: HistoryImporterOptions) {}

  /** A login's client is about to start: take the history its phone offered, or continue an import. */
  async starting(login: Login, start: LoginStart): Promise<void> {
    const { store, settings } = this.options;
    if (!settings.enabled) return;
    this.noImport.delete(login.userId);
    if (start === "linked") {
      if (!login.client.historyTransferOffered) return;
      await store.history.begin(login.userId);
    }
    const row = await store.history.importOf(login.userId);
    if (!row || row.state === "done") return;
    const run = this.run(login, row.state).catch(async (error: unknown) => {
      if (error instanceof RetryStoppedError || login.signal.aborted) return;
      this.options.logger.error(`the history import of ${login.userId} failed`, error);
      await this.end(
        login,
        `Your message history could not be brought in (${(error as Error).message}). The bridge works on without it.`,
      ).catch((failure: unknown) => this.options.logger.error("could not end the history import", failure));
    });
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /**
   * Resolves once a live event may be bridged: at once, unless its chat's history is still to be
   * shown (then it is shown first, ahead of the other chats) or the archive is still awaited.
   */
  async beforeLive(login: Login, event: BufferedSignalEvent): Promise<void> {
    if (!this.options.settings.enabled || this.noImport.has(login.userId)) return;
    const history = this.options.store.history;
    const state = (await history.importOf(login.userId))?.state;
    if (state === undefined || state === "done") {
      this.noImport.add(login.userId);
      return;
    }
    // A failed import is reported by its run; the live event goes on regardless. Stopped, it
    // stays buffered (the stop error reaches the login's queue).
    const goOn = () => {
      if (login.signal.aborted) throw new RetryStoppedError("stopped while waiting for the history");
    };
    if (state === "waiting") await this.receiving.get(login.userId)?.then(goOn, goOn);
    const key = liveChatKey(login.userId, login.client.account.aci, event);
    if (key === null) return;
    const chat = await history.chatOfPortal(login.userId, key);
    if (chat?.state === "pending") await this.backfill(login, chat).then(goOn, goOn);
  }

  /** Waits for the imports that are running to stop (their logins' signals end them). */
  async stopped(): Promise<void> {
    await Promise.all(this.running);
  }

  /** `state` is the import's as `starting` read it: the wait for the archive is registered at once. */
  private async run(login: Login, state: HistoryImportState): Promise<void> {
    const { store } = this.options;
    if (state === "waiting") {
      const receiving = this.receive(login);
      this.receiving.set(login.userId, receiving);
      try {
        await receiving;
      } finally {
        this.receiving.delete(login.userId);
      }
    }
    if ((await store.history.importOf(login.userId))?.state === "importing") await this.importChats(login);
  }

  /** Waits for the archive, reads it and stores the chats to bring in; or ends the import. */
  private async receive(login: Login): Promise<void> {
    const { store, settings, logger } = this.options;
    const { userId } = login;
    const row = await store.history.importOf(userId);
    if (!row) return;
    let location = row.archive;
    if (!location) {
      await this.tell(
        userId,
        "Your phone is sending your message history. Messages that arrive meanwhile are shown after it.",
      );
      const answer = await this.waitForArchive(login, row.startedAt + ARCHIVE_WAIT_MS);
      if (answer?.kind !== "archive") return this.end(login, withoutHistory(answer));
      location = answer.location;
      await store.history.setArchive(userId, location);
    }
    let archive: HistoryArchive;
    try {
      archive = await this.fetch(login, location);
    } catch (error) {
      if (!(error instanceof TransferArchiveError)) throw error;
      logger.warn(`the history of ${userId} is unreadable: ${error.message}`);
      return this.end(login, `${error.message} The bridge works on without it.`);
    }
    logger.info(
      `history of ${userId}: ${archive.chats.length} chats, ${archive.contacts.length} contacts, ` +
        `${archive.refusedFrames} frames refused, left out ${JSON.stringify(archive.leftOut)}`,
    );
    await saveStorageContacts(await store.signalStorage(userId), archive.contacts);
    const chats = planChats(userId, archive, settings.maxPortals);
    if (chats.length === 0) return this.end(login, "Your message history has no recent chats to show.");
    await store.history.plan(
      userId,
      chats.map((chat) => ({ portalKey: chat.portalKey, contents: encodePlannedChat(chat) })),
    );
    await login.client.forgetHistoryTransfer();
    await this.tell(userId, `Importing your history: 0 of ${chats.length} chats`);
  }

  /**
   * Asks until the phone has answered or `deadline` has passed; the server is asked at least
   * once, so a bridge that was down past the deadline still finds an archive uploaded meanwhile.
   */
  private async waitForArchive(login: Login, deadline: number): Promise<TransferArchiveAnswer | null> {
    for (let asked = false; ; asked = true) {
      if (login.signal.aborted) throw new RetryStoppedError("stopped while waiting for the history");
      const left = deadline - Date.now();
      if (left <= 0 && asked) return null;
      const seconds = Math.max(1, Math.min(POLL_SECONDS, Math.ceil(left / 1000)));
      const answer = await this.retry(login, "asking for the history archive", () =>
        login.client.pollHistoryTransfer(seconds),
      );
      if (answer) return answer;
    }
  }

  private fetch(login: Login, location: TransferArchiveLocation): Promise<HistoryArchive> {
    const { settings, logger } = this.options;
    return this.retry(login, "downloading the history archive", () =>
      login.client.fetchHistory(location, {
        messagesPerChat: settings.maxInitialMessages,
        signal: login.signal,
        onRefusedFrame: (reason) =>
          logger.warn(`history of ${login.userId}: a frame was left out: ${reason}`),
      }),
    );
  }

  private async importChats(login: Login): Promise<void> {
    const history = this.options.store.history;
    const chats = await history.chats(login.userId);
    let lastProgress = Date.now();
    for (const chat of chats) {
      if (login.signal.aborted) throw new RetryStoppedError("stopped during the history import");
      if (chat.state === "pending") await this.backfill(login, chat);
      const done = (await history.chats(login.userId)).filter((c) => c.state !== "pending").length;
      if (done < chats.length && Date.now() - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = Date.now();
        await this.tell(login.userId, `Importing your history: ${done} of ${chats.length} chats`);
      }
    }
    await this.end(login, await this.summary(login.userId, await history.chats(login.userId)));
  }

  /** The backfill of one chat: shared by the import and live events waiting for it. */
  private backfill(login: Login, chat: HistoryChatRow): Promise<ChatBackfillResult> {
    const key = `${login.userId}\0${chat.position}`;
    let running = this.backfills.get(key);
    if (!running) {
      // Registered before its first await, so a second caller joins this backfill.
      running = this.startBackfill(login, chat).finally(() => this.backfills.delete(key));
      this.backfills.set(key, running);
    }
    return running;
  }

  private async startBackfill(login: Login, chat: HistoryChatRow): Promise<ChatBackfillResult> {
    const { store, logger } = this.options;
    const current =
      (await store.history.chats(login.userId)).find((c) => c.position === chat.position) ?? chat;
    const planned = decodePlannedChat(
      chat.portalKey,
      await store.history.chatContents(login.userId, chat.position),
    );
    return backfillChat({ ...this.options, logger }, login, current, planned);
  }

  private async summary(userId: string, chats: HistoryChatRow[]): Promise<string> {
    const history = this.options.store.history;
    let messages = 0;
    for (const chat of chats.filter((c) => c.state === "done")) {
      const planned = decodePlannedChat(chat.portalKey, await history.chatContents(userId, chat.position));
      const shown = (item: HistoryItem) => isMessage(item) && item.sentAt >= (chat.cutoff ?? 0);
      messages += planned.items.slice(0, chat.nextItem).filter(shown).length;
    }
    const done = chats.filter((c) => c.state === "done").length;
    const failed = chats.length - done;
    return (
      `Your history is in: ${done} ${done === 1 ? "chat" : "chats"} with ${messages} ${messages === 1 ? "message" : "messages"}.` +
      (failed > 0 ? ` ${failed} could not be brought in (see the bridge log).` : "")
    );
  }

  /** Ends the import with `outcome`, told to the user; the phone's offer is not kept. */
  private async end(login: Login, outcome: string): Promise<void> {
    await this.options.store.history.finish(login.userId, outcome);
    await login.client.forgetHistoryTransfer();
    this.options.logger.info(`history import of ${login.userId} ended: ${outcome}`);
    await this.tell(login.userId, outcome);
  }

  private async tell(userId: string, text: string): Promise<void> {
    await this.options.notifyUser(userId, text).catch((error: unknown) => {
      this.options.logger.warn(`could not tell ${userId}: ${text}`, error);
    });
  }

  private retry<T>(login: Login, what: string, operation: () => Promise<T>): Promise<T> {
    const { logger } = this.options;
    return retryWhileTransient(operation, {
      signal: login.signal,
      onRetry: (error, attempt, delayMs) => {
        const line = `${what} for ${login.userId} failed (attempt ${attempt}); trying again in ${Math.round(delayMs / 1000)} s: ${(error as Error).message}`;
        if (attempt === 1 || attempt % 10 === 0) logger.warn(line);
        else logger.debug(line);
      },
    });
  }
}

function withoutHistory(answer: TransferArchiveAnswer | null): string {
  switch (answer?.kind) {
    case "declined":
      return "Your phone did not send your message history; chats start with new messages.";
    case "relink-requested":
      return 'Your phone could not send your message history. To get it, send "logout" and link again with "login".';
    default:
      return `Your phone did not send your message history within ${ARCHIVE_WAIT_MS / 60_000} minutes; chats start with new messages.`;
  }
}
