/**
 * The web login page: a one-time link, given by the bot, opens a page the bridge serves that
 * shows the QR code of the user's linking, follows it as it refreshes, and then says who is
 * logged in. It needs no Matrix client.
 *
 * The link carries its token in the URL fragment, which browsers do not send, so it appears in
 * no access log; the page trades it once for a page session, which it keeps in sessionStorage
 * (a reload of the tab goes on) and sends as a bearer token with each request.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Application, Request, Response } from "express";
import type { Logger } from "../../logger.js";
import { type LinkedAccount, LinkingCancelledError } from "../../signal/index.js";
import { type Clock, systemClock } from "../expiry-scheduler.js";
import { AlreadyLoggedInError, type LinkSession, type LinkSessions } from "../link-sessions.js";
import type { LoginManager } from "../logins.js";
import { webLoginPage } from "./web-login-page.js";

/** Where the page and its API are served. */
export const WEB_LOGIN_PATH = "/_signal/login";
/** How long a link from the bot can be opened. */
export const LINK_LIFETIME_MS = 10 * 60_000;
/** How long an opened page follows the login. */
export const PAGE_LIFETIME_MS = 15 * 60_000;
/** How long the page's request for news is held open when there is none. */
const POLL_HOLD_MS = 20_000;

/** What the page shows; `version` grows with each change. */
export type PageState = { version: number } & (
  | { state: "starting" }
  | { state: "qr"; qr: string }
  | { state: "linked"; account: string }
  | { state: "cancelled" }
  | { state: "failed"; message: string }
);

interface PageSession {
  userId: string;
  view: PageState;
  waiters: Set<() => void>;
  expiry: { cancel(): void };
  stopWatching: () => void;
}

export interface WebLoginOptions {
  /** `appservice.public_address`: where browsers reach the bridge. */
  publicAddress: string;
  sessions: Pick<LinkSessions, "start" | "current">;
  logins: Pick<LoginManager, "loginOf">;
  /** The QR code of a URL as an image URL (a data: URL). */
  qrImage(url: string): Promise<string>;
  /** Tells the user how a linking this page started went (the bot reports the ones it started). */
  reportLinking(session: LinkSession): void;
  logger: Logger;
  clock?: Clock;
}

const digest = (secret: string) => createHash("sha256").update(secret).digest("hex");
const newSecret = () => randomBytes(32).toString("base64url");

export class WebLogin {
  /** Unused links by the digest of their token (a lookup then says nothing about the token). */
  private readonly links = new Map<string, { userId: string; expiry: { cancel(): void } }>();
  private readonly pages = new Map<string, PageSession>();
  private readonly clock: Clock;

  constructor(private readonly options: WebLoginOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** A new link for `userId` to the login page: for them only, once, within LINK_LIFETIME_MS. */
  linkFor(userId: string): string {
    const token = newSecret();
    const key = digest(token);
    const expiry = this.clock.setTimer(() => this.links.delete(key), LINK_LIFETIME_MS);
    this.links.set(key, { userId, expiry });
    return `${this.options.publicAddress}${WEB_LOGIN_PATH}#${token}`;
  }

  /**
   * Trades a link's token for a page session: the page then follows the user's linking (joining
   * the one in progress, or starting one). Undefined when the token is unknown, used or expired.
   */
  open(token: string): string | undefined {
    const key = digest(token);
    const link = this.links.get(key);
    if (!link) return undefined;
    this.links.delete(key);
    link.expiry.cancel();
    const secret = newSecret();
    const pageKey = digest(secret);
    const page: PageSession = {
      userId: link.userId,
      view: { version: 0, state: "starting" },
      waiters: new Set(),
      expiry: this.clock.setTimer(() => this.close(pageKey), PAGE_LIFETIME_MS),
      stopWatching: () => undefined,
    };
    this.pages.set(pageKey, page);
    this.follow(page);
    this.options.logger.info(`${link.userId} opened the web login page`);
    return secret;
  }

  /**
   * What the page of `secret` shows, once it is newer than `since` or the wait is over (or the
   * request is closed). Undefined when there is no such page (any more).
   */
  async stateOf(secret: string, since: number, signal?: AbortSignal): Promise<PageState | undefined> {
    const found = this.pages.get(digest(secret));
    if (!found) return undefined;
    const page = found;
    if (page.view.version <= since && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimer(done, POLL_HOLD_MS);
        page.waiters.add(done);
        signal?.addEventListener("abort", done, { once: true });
        function done() {
          timer.cancel();
          page.waiters.delete(done);
          signal?.removeEventListener("abort", done);
          resolve();
        }
      });
    }
    return page.view;
  }

  /** Forgets every link and page (the bridge is stopping). */
  stop(): void {
    for (const link of this.links.values()) link.expiry.cancel();
    this.links.clear();
    for (const key of [...this.pages.keys()]) this.close(key);
  }

  serve(app: Application): void {
    const noStore = (response: Response) =>
      response.set({
        "cache-control": "no-store",
        "referrer-policy": "no-referrer",
        "x-content-type-options": "nosniff",
      });

    app.get(WEB_LOGIN_PATH, (_request: Request, response: Response) => {
      const nonce = randomBytes(16).toString("base64");
      noStore(response);
      response.set({
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": `default-src 'none'; img-src data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        "x-frame-options": "DENY",
      });
      response.send(webLoginPage(nonce));
    });

    app.post(`${WEB_LOGIN_PATH}/session`, (request: Request, response: Response) => {
      noStore(response);
      const token = (request.body as { token?: unknown } | undefined)?.token;
      const secret = typeof token === "string" ? this.open(token) : undefined;
      if (secret === undefined) {
        response.status(410).json({ error: "This login link is no longer valid." });
        return;
      }
      response.json({ session: secret });
    });

    app.get(`${WEB_LOGIN_PATH}/state`, async (request: Request, response: Response) => {
      noStore(response);
      const secret = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
      const since = Number(request.query["since"] ?? -1);
      const closed = new AbortController();
      response.on("close", () => closed.abort());
      const view = secret
        ? await this.stateOf(secret, Number.isFinite(since) ? since : -1, closed.signal)
        : undefined;
      if (!view) {
        response.status(401).json({ error: "This login page has expired." });
        return;
      }
      response.json(view);
    });
  }

  private follow(page: PageSession): void {
    const { logger } = this.options;
    const existing = this.options.logins.loginOf(page.userId);
    if (existing) {
      this.show(page, { state: "linked", account: nameOf(existing.client.account) });
      return;
    }
    let linking: { session: LinkSession; started: boolean };
    try {
      linking = this.options.sessions.start(page.userId);
    } catch (error) {
      if (error instanceof AlreadyLoggedInError) {
        this.show(page, { state: "linked", account: nameOf(error.account) });
        return;
      }
      logger.error(`the web login page of ${page.userId} could not start linking`, error);
      this.show(page, { state: "failed", message: (error as Error).message });
      return;
    }
    const { session, started } = linking;
    if (started) this.options.reportLinking(session);
    const showQr = async (url: string) => {
      const qr = await this.options.qrImage(url);
      // A newer code may have come while this one was drawn.
      if (session.url === url && page.view.state !== "linked") this.show(page, { state: "qr", qr });
    };
    const drawn = (url: string) =>
      void showQr(url).catch((error) => logger.error(`could not draw the QR code for ${page.userId}`, error));
    page.stopWatching = session.onUrl(drawn);
    if (session.url !== undefined) drawn(session.url);
    session.linked.then(
      (account) => this.show(page, { state: "linked", account: nameOf(account) }),
      (error: unknown) =>
        this.show(
          page,
          error instanceof LinkingCancelledError
            ? { state: "cancelled" }
            : { state: "failed", message: error instanceof Error ? error.message : String(error) },
        ),
    );
  }

  private show(page: PageSession, view: DistributiveOmit<PageState, "version">): void {
    page.view = { ...view, version: page.view.version + 1 } as PageState;
    for (const waiter of [...page.waiters]) waiter();
  }

  private close(pageKey: string): void {
    const page = this.pages.get(pageKey);
    if (!page) return;
    this.pages.delete(pageKey);
    page.expiry.cancel();
    page.stopWatching();
    for (const waiter of [...page.waiters]) waiter();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const nameOf = (account: LinkedAccount) => account.number ?? account.aci;
