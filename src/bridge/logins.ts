import type { Logger } from "../logger.js";
import {
  BUFFERED_EVENT_TYPES,
  type BufferedSignalEvent,
  type ConnectionState,
  type LinkedAccount,
  linkDevice,
  SignalClient,
  type SignalEnvironment,
} from "../signal/index.js";
import type { Store } from "../store/index.js";

/** A Matrix user's running Signal client. */
export interface Login {
  userId: string;
  client: SignalClient;
}

export interface LoginManagerOptions {
  store: Store;
  environment: SignalEnvironment;
  deviceName: string;
  logger: Logger;
  /** Tells a user something about their login (in their management room). */
  notifyUser(userId: string, text: string): Promise<void>;
  /** Bridges one buffered Signal event; the event is marked handled only when this resolves. */
  handleSignalEvent(login: Login, event: BufferedSignalEvent): Promise<void>;
  /** A contact's identity key changed (not buffered: Signal reports it again if it matters). */
  onIdentityChange(login: Login, serviceId: string): Promise<void>;
}

const HANDLER_ATTEMPTS = 5;
const HANDLER_RETRY_BASE_MS = 500;

/** Starts, links and stops the Signal clients of all Matrix users. */
export class LoginManager {
  private readonly logins = new Map<string, Login>();
  private readonly pendingLinks = new Map<string, AbortController>();
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly options: LoginManagerOptions) {}

  /** Starts the client of every user who had linked an account. */
  async startAll(): Promise<void> {
    for (const userId of this.options.store.listSignalAccounts()) {
      try {
        const started = await this.startClient(userId);
        if (started) this.options.logger.info(`started the Signal client of ${userId}`);
      } catch (error) {
        this.options.logger.error(`could not start the Signal client of ${userId}`, error);
      }
    }
  }

  loginOf(userId: string): Login | undefined {
    return this.logins.get(userId);
  }

  isLinking(userId: string): boolean {
    return this.pendingLinks.has(userId);
  }

  connectionStateOf(userId: string): ConnectionState | undefined {
    return this.logins.get(userId)?.client.connectionState;
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
        storage: this.options.store.signalStorage(userId),
        deviceName: this.options.deviceName,
        onLinkUrl,
        signal: abort.signal,
      });
      await this.startClient(userId);
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
    await login?.client.stop();
    await this.queues.get(userId);
    this.queues.delete(userId);
  }

  async stopAll(): Promise<void> {
    for (const abort of this.pendingLinks.values()) abort.abort();
    await Promise.all([...this.logins.values()].map((login) => login.client.stop()));
    await Promise.all(this.queues.values());
    this.logins.clear();
  }

  private async startClient(userId: string): Promise<boolean> {
    const storage = this.options.store.signalStorage(userId);
    if (!(await storage.getAccount())) return false;
    const client = await SignalClient.open({ environment: this.options.environment, storage });
    const login: Login = { userId, client };
    this.logins.set(userId, login);
    for (const type of BUFFERED_EVENT_TYPES) {
      client.on(type, (event) => this.enqueue(login, event));
    }
    client.on("identity-change", (event) => {
      this.options
        .onIdentityChange(login, event.serviceId)
        .catch((error) =>
          this.options.logger.error(`could not report the identity change of ${event.serviceId}`, error),
        );
    });
    client.on("logged-out", (event) => {
      this.logins.delete(userId);
      this.options.logger.warn(`Signal login of ${userId} ended: ${event.reason}`);
      this.options
        .notifyUser(userId, `Your Signal login ended: ${event.reason} Send "login" to link the bridge again.`)
        .catch((error) => this.options.logger.error(`could not tell ${userId} about the ended login`, error));
    });
    await client.start();
    return true;
  }

  /** Handles a login's events one after another, in the order Signal delivered them. */
  private enqueue(login: Login, event: BufferedSignalEvent): void {
    const previous = this.queues.get(login.userId) ?? Promise.resolve();
    const next = previous.then(() => this.handleWithRetries(login, event));
    this.queues.set(login.userId, next);
  }

  private async handleWithRetries(login: Login, event: BufferedSignalEvent): Promise<void> {
    const { logger } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        logger.debug(`bridging ${event.type} ${event.id} of ${login.userId}`);
        await this.options.handleSignalEvent(login, event);
        await login.client.markHandled(event.id);
        return;
      } catch (error) {
        if (attempt >= HANDLER_ATTEMPTS) {
          // Left unhandled on purpose: the event stays buffered and is bridged after a restart.
          logger.error(`giving up on ${event.type} ${event.id} of ${login.userId} for now`, error);
          return;
        }
        logger.warn(`bridging ${event.type} ${event.id} failed (attempt ${attempt}); retrying`, error);
        await new Promise((resolve) => setTimeout(resolve, HANDLER_RETRY_BASE_MS * 2 ** (attempt - 1)));
      }
    }
  }
}
