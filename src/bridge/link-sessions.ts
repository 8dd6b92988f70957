import type { Logger } from "../logger.js";
import { type LinkedAccount, LinkingCancelledError } from "../signal/index.js";
import type { LoginManager } from "./logins.js";

/**
 * What to do once an account is linked (bring its chats in); returns what to tell the user, if
 * anything.
 */
export type AfterLogin = (userId: string) => Promise<string | null>;

/** Thrown by `LinkSessions.start` for a user who has a login already. */
export class AlreadyLoggedInError extends Error {
  override name = "AlreadyLoggedInError";
  constructor(readonly account: LinkedAccount) {
    super(`already logged in as ${account.number ?? account.aci}`);
  }
}

/**
 * One user's linking of a Signal account, shared by everyone showing its QR code: the bot in a
 * room, the provisioning API and the web login page all watch the same one.
 */
export interface LinkSession {
  readonly userId: string;
  /** The QR code URL to show now; undefined until the first arrives. */
  readonly url: string | undefined;
  /** Resolves with the linked account; rejects with LinkingCancelledError when cancelled, or why it failed. */
  readonly linked: Promise<LinkedAccount>;
  /**
   * Settles once the account's chats were brought in after linking: with what to tell the user,
   * or rejecting with why they could not be (the login stands; `sync` tries again).
   */
  readonly chats: Promise<string | null>;
  /** Calls `listener` with each new QR code URL; returns a function that stops that. */
  onUrl(listener: (url: string) => void): () => void;
  cancel(): void;
}

/** Starts and tracks linking: at most one per user, reused by whoever asks while it runs. */
export class LinkSessions {
  private readonly sessions = new Map<string, LinkSession>();

  constructor(
    private readonly logins: LoginManager,
    private readonly afterLogin: AfterLogin,
    private readonly logger: Logger,
  ) {}

  current(userId: string): LinkSession | undefined {
    return this.sessions.get(userId);
  }

  /**
   * The user's linking in progress, or a new one (`started` tells which). Throws
   * AlreadyLoggedInError when the user has a running login.
   */
  start(userId: string): { session: LinkSession; started: boolean } {
    const existing = this.sessions.get(userId);
    if (existing) return { session: existing, started: false };
    const login = this.logins.loginOf(userId);
    if (login) throw new AlreadyLoggedInError(login.client.account);

    const listeners = new Set<(url: string) => void>();
    let url: string | undefined;
    const linked = this.logins.link(userId, (next) => {
      url = next;
      for (const listener of listeners) {
        try {
          listener(next);
        } catch (error) {
          this.logger.error(`showing the login QR code of ${userId} failed`, error);
        }
      }
    });
    const chats = linked.then(() => this.afterLogin(userId));
    const session: LinkSession = {
      userId,
      get url() {
        return url;
      },
      linked,
      chats,
      onUrl(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      cancel: () => void this.logins.cancelLink(userId),
    };
    this.sessions.set(userId, session);
    const ended = () => {
      listeners.clear();
      if (this.sessions.get(userId) === session) this.sessions.delete(userId);
    };
    // Whoever started the session reports how it ends; these handlers only keep a failure that
    // nobody else waits for from counting as an unhandled rejection.
    linked.then(ended, ended);
    chats.catch(() => undefined);
    return { session, started: true };
  }
}

/**
 * Tells the user, through `tell`, how a linking ends: who is logged in, then what bringing the
 * chats in found, or why there is no login. `ended` runs first, once linking is over (the bot
 * withdraws the QR code it showed).
 */
export async function reportLinking(
  session: LinkSession,
  tell: (text: string) => Promise<void>,
  logger: Logger,
  ended: () => Promise<void> = async () => undefined,
): Promise<void> {
  let account: LinkedAccount;
  try {
    account = await session.linked;
  } catch (error) {
    await ended();
    if (error instanceof LinkingCancelledError) {
      await tell("Login cancelled.");
      return;
    }
    logger.error(`login of ${session.userId} failed`, error);
    await tell(`Login failed: ${(error as Error).message}`);
    return;
  }
  await ended();
  await tell(`Logged in as ${account.number ?? account.aci}. Your Signal chats will appear here as rooms.`);
  // The login succeeded whatever happens here; `sync` tries again.
  try {
    const summary = await session.chats;
    if (summary) await tell(summary);
  } catch (error) {
    logger.warn(`bringing the chats of ${session.userId} in after login failed`, error);
    await tell(`Your groups could not be fetched yet (${(error as Error).message}). Send sync to try again.`);
  }
}
