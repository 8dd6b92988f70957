import type { Logger } from "../logger.js";
import {
  BUFFERED_EVENT_TYPES,
  type BufferedSignalEvent,
  type ConnectionState,
  type LinkedAccount,
  linkDevice,
  SignalClient,
  type SignalEnvironment,
  type SignalRequestReporter,
} from "../signal/index.js";
import type { Store } from "../store/index.js";
import { LoginEventQueue } from "./login-event-queue.js";
import type { RelayOutcome } from "./relay-outcome.js";
import { Semaphore } from "./semaphore.js";

/** How many of a login's events are bridged at the same time (each of another chat). */
const LOGIN_CONCURRENCY = 8;
/** How many Signal events are bridged at the same time across all logins. */
const TOTAL_CONCURRENCY = 32;

/** A Matrix user's running Signal client. */
export interface Login {
  userId: string;
  client: SignalClient;
  /** Aborted when the login ends (logout) or the bridge stops: work for it should stop then. */
  signal: AbortSignal;
}

/** Why a login's client starts: it was just linked, or it was linked before (a bridge start). */
export type LoginStart = "linked" | "resumed";

/** What happens to a user's login, as the bridge state of the login follows it. */
export type LoginEvent =
  /** The client was opened and is about to connect. */
  | { type: "starting"; account: LinkedAccount }
  | { type: "connection"; account: LinkedAccount; state: ConnectionState; detail: string | null }
  /** The stored login could not be started (the client is not running). */
  | { type: "start-failed"; account: LinkedAccount | null; error: unknown }
  /** The user logged out: the client is stopped and the stored account deleted. */
  | { type: "removed" };

export interface LoginManagerOptions {
  store: Store;
  environment: SignalEnvironment;
  deviceName: string;
  logger: Logger;
  /** Tells a user something about their login (in their management room). */
  notifyUser(userId: string, text: string): Promise<void>;
  /** Bridges one buffered Signal event; the event is marked handled only when this resolves. */
  handleSignalEvent(login: Login, event: BufferedSignalEvent): Promise<RelayOutcome | void>;
  /** See RetryOptions.reconsider: a second look at failures that hide their cause. */
  reconsiderFailure?: (error: unknown) => Promise<boolean>;
  /** A contact's identity key changed (not buffered: Signal reports it again if it matters). */
  onIdentityChange(login: Login, serviceId: string): Promise<void>;
  /** Told of each login event; must not throw. */
  onLoginEvent?(userId: string, event: LoginEvent): void;
  /** Linking tells the phone this device takes its message history (see linkDevice). */
  acceptHistoryTransfer?: boolean;
  /** A client is about to start, before it delivers any event. */
  onStarting?(login: Login, start: LoginStart): Promise<void>;
  /** Hears how the logins fare (for metrics). */
  observer?: LoginObserver;
  /** How many events of one login are bridged at once (default 8), and of all logins (default 32). */
  concurrency?: { login: number; total: number };
}

export interface LoginObserver {
  /**
   * A buffered event is done with (bridged, skipped, or failed for good); `handedAt` is when the
   * Signal client handed it to the bridge (ms since the epoch).
   */
  eventSettled(event: BufferedSignalEvent, outcome: RelayOutcome, handedAt: number): void;
  /** A login's chat connection was lost and is being made again. */
  reconnecting(): void;
  /** Each request of the Signal clients. */
  onRequest?: SignalRequestReporter;
}

/** Starts, links and stops the Signal clients of all Matrix users. */
export class LoginManager {
  private readonly logins = new Map<string, Login>();
  private readonly pendingLinks = new Map<string, AbortController>();
  /** Per login: its events waiting or being bridged, in lanes by chat (see enqueue). */
  private readonly queues = new Map<string, LoginEventQueue>();
  /** Caps the events being bridged at once across all logins. */
  private readonly totalSlots: Semaphore;
  /** Per login: aborted on logout or shutdown, ending the waits of events that could not be bridged yet. */
  private readonly stops = new Map<string, AbortController>();
  /** Users whose login Signal ended (the device was unlinked) and who have not linked again. */
  private readonly loggedOut = new Set<string>();

  constructor(private readonly options: LoginManagerOptions) {
    this.totalSlots = new Semaphore(options.concurrency?.total ?? TOTAL_CONCURRENCY);
  }

  /** Starts the client of every user who had linked an account. */
  async startAll(): Promise<void> {
    for (const userId of await this.options.store.listSignalAccounts()) {
      try {
        const started = await this.startClient(userId, "resumed");
        if (started) this.options.logger.info(`started the Signal client of ${userId}`);
      } catch (error) {
        this.options.logger.error(`could not start the Signal client of ${userId}`, error);
        const stored = await this.options.store
          .signalStorage(userId)
          .then((storage) => storage.getAccount())
          .catch(() => null);
        const account = stored
          ? { aci: stored.aci, pni: stored.pni, number: stored.number, deviceId: stored.deviceId }
          : null;
        this.options.onLoginEvent?.(userId, { type: "start-failed", account, error });
      }
    }
  }

  loginOf(userId: string): Login | undefined {
    return this.logins.get(userId);
  }

  /** The Matrix user whose running login is the Signal account `aci`, if any. */
  userIdOfAci(aci: string): string | undefined {
    const wanted = aci.toLowerCase();
    for (const login of this.logins.values()) {
      if (login.client.account.aci.toLowerCase() === wanted) return login.userId;
    }
    return undefined;
  }

  isLinking(userId: string): boolean {
    return this.pendingLinks.has(userId);
  }

  connectionStateOf(userId: string): ConnectionState | undefined {
    return this.logins.get(userId)?.client.connectionState;
  }

  /**
   * The state of every stored account: its client's connection state, "logged-out" when Signal
   * ended it, "stopped" when its client is not running (it could not start).
   */
  async loginStates(): Promise<ConnectionState[]> {
    const states: ConnectionState[] = [];
    for (const userId of await this.options.store.listSignalAccounts()) {
      if (this.pendingLinks.has(userId)) continue;
      states.push(this.connectionStateOf(userId) ?? (this.loggedOut.has(userId) ? "logged-out" : "stopped"));
    }
    return states;
  }

  /**
   * Links a new device for `userId`, calling `onLinkUrl` with each QR code URL, then starts its
   * client. Rejects with LinkingCancelledError when `cancelLink` is called.
   */
  async link(userId: string, onLinkUrl: (url: string) => void): Promise<LinkedAccount> {
    if (this.logins.has(userId)) throw new Error("already logged in");
    if (this.pendingLinks.has(userId)) throw new Error("a login is already in progress");
    const abort = new AbortController();
    this.pendingLinks.set(userId, abort);
    try {
      const account = await linkDevice({
        environment: this.options.environment,
        storage: await this.options.store.signalStorage(userId),
        deviceName: this.options.deviceName,
        onLinkUrl,
        signal: abort.signal,
        acceptHistoryTransfer: this.options.acceptHistoryTransfer ?? false,
      });
      await this.startClient(userId, "linked");
      return account;
    } finally {
      this.pendingLinks.delete(userId);
    }
  }

  /** Cancels a pending link; false when there was none. */
  cancelLink(userId: string): boolean {
    const abort = this.pendingLinks.get(userId);
    abort?.abort();
    return abort !== undefined;
  }

  /**
   * Stops and forgets the user's client (a pending link is cancelled), after the events it
   * already delivered are handled. Their stored account is left to the caller.
   */
  async logout(userId: string): Promise<void> {
    this.pendingLinks.get(userId)?.abort();
    const login = this.logins.get(userId);
    this.logins.delete(userId);
    this.stops.get(userId)?.abort();
    this.stops.delete(userId);
    await login?.client.stop();
    const queue = this.queues.get(userId);
    await queue?.idle();
    if (this.queues.get(userId) === queue) this.queues.delete(userId);
  }

  /** Logs the user out for good: stops their client (see logout) and deletes their stored account. */
  async remove(userId: string): Promise<void> {
    await this.logout(userId);
    await this.options.store.deleteSignalAccount(userId);
    this.options.onLoginEvent?.(userId, { type: "removed" });
  }

  async stopAll(): Promise<void> {
    for (const abort of this.pendingLinks.values()) abort.abort();
    for (const stop of this.stops.values()) stop.abort();
    await Promise.all([...this.logins.values()].map((login) => login.client.stop()));
    await Promise.all([...this.queues.values()].map((queue) => queue.idle()));
    this.logins.clear();
  }

  private async startClient(userId: string, start: LoginStart): Promise<boolean> {
    const storage = await this.options.store.signalStorage(userId);
    if (!(await storage.getAccount())) return false;
    const onRequest = this.options.observer?.onRequest;
    const client = await SignalClient.open({
      environment: this.options.environment,
      storage,
      ...(onRequest ? { onRequest } : {}),
    });
    this.stops.get(userId)?.abort();
    const stop = new AbortController();
    this.stops.set(userId, stop);
    const login: Login = { userId, client, signal: stop.signal };
    const { account } = client;
    this.options.onLoginEvent?.(userId, { type: "starting", account });
    client.on("connection-state", (event) => {
      if (event.state === "reconnecting") this.options.observer?.reconnecting();
      this.options.onLoginEvent?.(userId, {
        type: "connection",
        account,
        state: event.state,
        detail: event.detail,
      });
    });
    this.logins.set(userId, login);
    this.loggedOut.delete(userId);
    // The login's events, in lanes by chat (see LoginEventQueue); those still buffered from
    // before a restart are delivered first, in the order they came.
    const { observer, reconsiderFailure } = this.options;
    const queue = new LoginEventQueue({
      userId,
      ownAci: account.aci,
      handle: (event) => this.options.handleSignalEvent(login, event),
      markHandled: (id) => client.markHandled(id),
      ...(observer ? { settled: observer.eventSettled.bind(observer) } : {}),
      ...(reconsiderFailure ? { reconsider: reconsiderFailure } : {}),
      stop: stop.signal,
      concurrency: this.options.concurrency?.login ?? LOGIN_CONCURRENCY,
      totalSlots: this.totalSlots,
      logger: this.options.logger,
    });
    this.queues.set(userId, queue);
    for (const type of BUFFERED_EVENT_TYPES) client.on(type, (event) => queue.push(event));
    client.on("identity-change", (event) => {
      this.options
        .onIdentityChange(login, event.serviceId)
        .catch((error) =>
          this.options.logger.error(`could not report the identity change of ${event.serviceId}`, error),
        );
    });
    client.on("logged-out", (event) => {
      this.logins.delete(userId);
      this.loggedOut.add(userId);
      this.options.logger.warn(`Signal login of ${userId} ended: ${event.reason}`);
      this.options
        .notifyUser(userId, `Your Signal login ended: ${event.reason} Send "login" to link the bridge again.`)
        .catch((error) => this.options.logger.error(`could not tell ${userId} about the ended login`, error));
    });
    await this.options.onStarting?.(login, start);
    await client.start();
    return true;
  }
}
