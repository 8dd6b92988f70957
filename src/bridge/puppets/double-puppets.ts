import type { Logger } from "../../logger.js";
import type { MatrixRequester } from "../matrix/room-sender.js";

/**
 * The content key that marks events the bridge sent as a user's own account (as mautrix bridges
 * do): the intake drops them, so nothing the bridge shows goes back to Signal.
 */
export const DOUBLE_PUPPET_SOURCE = "fi.mau.double_puppet_source";

/** A failed request: `statusCode` and `errcode` are what the retry policy reads. */
export class DoublePuppetRequestError extends Error {
  constructor(
    readonly statusCode: number,
    readonly errcode: string | undefined,
    readonly body: unknown,
  ) {
    super(`the homeserver answered ${statusCode}${errcode ? ` ${errcode}` : ""}`);
  }
}

export interface DoublePuppetOptions {
  /** The bridge's own homeserver (URL and server name). */
  homeserverUrl: string;
  serverName: string;
  /** Per server name: `as_token:<token>` of a registration that may act as its users. */
  secrets: Readonly<Record<string, string>>;
  /** Per server name: its client-server URL, for servers other than the bridge's own. */
  servers: Readonly<Record<string, string>>;
  /** This bridge's appservice id: the value of the marker on its events. */
  bridgeId: string;
  /** Access tokens users gave with login-matrix (for servers without a secret), kept sealed. */
  tokens: DoublePuppetTokens;
  logger: Logger;
}

/** Where users' own access tokens are kept (store/'s DoublePuppetTables). */
export interface DoublePuppetTokens {
  saveToken(userId: string, token: string): Promise<void>;
  tokenOf(userId: string): Promise<string | undefined>;
  deleteToken(userId: string): Promise<boolean>;
  accounts(): Promise<string[]>;
}

/** Why a login-matrix was refused, in words for the user. */
export class DoublePuppetLoginError extends Error {}

const AS_TOKEN_PREFIX = "as_token:";

/** A login-matrix command (with or without the prefix used outside the management room) and its token. */
const LOGIN_MATRIX = /^((?:!signal\s+)?login-matrix)\s+(\S+)$/i;

/** What the journal keeps of a login-matrix command in place of its token. */
export const TOKEN_PLACEHOLDER = "<token>";

/**
 * Users' own Matrix accounts, which speak for them in their portals instead of their ghosts when
 * the homeserver lets the bridge act as them (`double_puppet.secrets`).
 */
export class DoublePuppets {
  /**
   * Read receipts the bridge set as users: they come back as ephemeral events, which carry no
   * marker, so they are recognised here (for this run; one coming back after a restart only
   * repeats a receipt Signal had).
   */
  private readonly receiptsSent = new Set<string>();
  /**
   * Tokens taken out of login-matrix commands at intake, by sender, until the command is handled
   * (only in memory: after a restart in between, the user is asked to send it again).
   */
  private readonly pendingTokens = new Map<string, string>();
  /**
   * The stored tokens, read once at start (see loadTokens) and kept in step with the store, so
   * that choosing who speaks for a user needs no database read.
   */
  private readonly tokens = new Map<string, string>();

  constructor(private readonly options: DoublePuppetOptions) {}

  /** Reads the tokens users gave with login-matrix; call once before anything is bridged. */
  async loadTokens(): Promise<void> {
    for (const userId of await this.options.tokens.accounts()) {
      const token = await this.options.tokens.tokenOf(userId);
      if (token !== undefined) this.tokens.set(userId, token);
    }
  }

  /** The content fields that mark an event as sent by this bridge for the user. */
  get marker(): Record<string, string> {
    return { [DOUBLE_PUPPET_SOURCE]: this.options.bridgeId };
  }

  /** Whether an incoming event was sent by this bridge as someone's own account. */
  isOwnEcho(content: unknown): boolean {
    return (
      typeof content === "object" &&
      content !== null &&
      (content as Record<string, unknown>)[DOUBLE_PUPPET_SOURCE] === this.options.bridgeId
    );
  }

  /**
   * Requests as `userId`, or undefined when the bridge may not act as them: by the server's
   * appservice token if configured, else by the access token the user gave with login-matrix.
   */
  requesterOf(userId: string): MatrixRequester | undefined {
    const server = serverOf(userId);
    const baseUrl = this.baseUrlOf(server);
    if (baseUrl === undefined) return undefined;
    const secret = this.options.secrets[server];
    if (secret?.startsWith(AS_TOKEN_PREFIX)) {
      return new TokenRequester(baseUrl, secret.slice(AS_TOKEN_PREFIX.length), userId);
    }
    const token = this.tokens.get(userId);
    return token === undefined ? undefined : new TokenRequester(baseUrl, token, undefined);
  }

  /** Whether the user's server has a configured secret (then login-matrix is not needed). */
  hasSecret(userId: string): boolean {
    return this.options.secrets[serverOf(userId)]?.startsWith(AS_TOKEN_PREFIX) ?? false;
  }

  /**
   * Keeps `token` to act as `userId` once the homeserver confirms it is theirs. Rejects with
   * DoublePuppetLoginError saying what to do when it is not usable.
   */
  async login(userId: string, token: string): Promise<void> {
    const server = serverOf(userId);
    if (this.hasSecret(userId)) {
      throw new DoublePuppetLoginError(
        `Double puppeting is already on for users of ${server}; the bridge needs no token from you.`,
      );
    }
    const baseUrl = this.baseUrlOf(server);
    if (baseUrl === undefined) {
      throw new DoublePuppetLoginError(
        `The bridge does not know the address of ${server}. Ask the bridge's admin to add it under double_puppet.servers.`,
      );
    }
    let whoami: unknown;
    try {
      whoami = await new TokenRequester(baseUrl, token, undefined).doRequest(
        "GET",
        "/_matrix/client/v3/account/whoami",
      );
    } catch (error) {
      if (error instanceof DoublePuppetRequestError && error.statusCode === 401) {
        throw new DoublePuppetLoginError("Your homeserver does not accept that access token.");
      }
      throw error;
    }
    const owner = (whoami as { user_id?: unknown } | null)?.user_id;
    if (owner !== userId) {
      throw new DoublePuppetLoginError(
        `That access token belongs to ${String(owner)}, not to you: send one of your own account.`,
      );
    }
    await this.options.tokens.saveToken(userId, token);
    this.tokens.set(userId, token);
  }

  /**
   * A room event as it may be journaled: a login-matrix command's token is kept aside for the
   * command (see takePendingToken) and replaced by a placeholder.
   */
  withoutSecrets(event: Record<string, unknown>): Record<string, unknown> {
    const content = event["content"] as Record<string, unknown> | null | undefined;
    const body = content?.["body"];
    if (event["type"] !== "m.room.message" || typeof body !== "string") return event;
    const match = LOGIN_MATRIX.exec(body.trim());
    if (!match) return event;
    this.pendingTokens.set(String(event["sender"]), match[2]!);
    return { ...event, content: { msgtype: content?.["msgtype"], body: `${match[1]} ${TOKEN_PLACEHOLDER}` } };
  }

  /** The token of the user's latest login-matrix command, once. */
  takePendingToken(userId: string): string | undefined {
    const token = this.pendingTokens.get(userId);
    this.pendingTokens.delete(userId);
    return token;
  }

  /** Forgets the user's access token; false if there was none. */
  async logout(userId: string): Promise<boolean> {
    const had = await this.options.tokens.deleteToken(userId);
    this.tokens.delete(userId);
    return had;
  }

  private baseUrlOf(server: string): string | undefined {
    return (
      this.options.servers[server] ??
      (server === this.options.serverName ? this.options.homeserverUrl : undefined)
    );
  }

  /** Joins `userId` to a portal they were invited to; false if they have no double puppet. */
  async join(userId: string, roomId: string): Promise<boolean> {
    const requester = this.requesterOf(userId);
    if (!requester) return false;
    await requester.doRequest("POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, null, {});
    return true;
  }

  /** Moves the user's read receipt to `eventId` (the phone read up to it); false without a double puppet. */
  async markRead(userId: string, roomId: string, eventId: string): Promise<boolean> {
    const requester = this.requesterOf(userId);
    if (!requester) return false;
    const key = `${roomId}\0${eventId}\0${userId}`;
    this.receiptsSent.add(key);
    try {
      await requester.doRequest(
        "POST",
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/receipt/m.read/${encodeURIComponent(eventId)}`,
        null,
        {},
      );
    } catch (error) {
      this.receiptsSent.delete(key);
      throw error;
    }
    return true;
  }

  /** Whether a read receipt is one the bridge set itself (see markRead); each is recognised once. */
  isOwnReceipt(userId: string, roomId: string, eventId: string): boolean {
    return this.receiptsSent.delete(`${roomId}\0${eventId}\0${userId}`);
  }

  /** Lists a direct portal under its contact in the user's `m.direct`, as clients do for DMs. */
  async markDirect(userId: string, roomId: string, contactUserId: string): Promise<void> {
    const requester = this.requesterOf(userId);
    if (!requester) return;
    const path = `/_matrix/client/v3/user/${encodeURIComponent(userId)}/account_data/m.direct`;
    let direct: Record<string, unknown> = {};
    try {
      direct = ((await requester.doRequest("GET", path)) ?? {}) as Record<string, unknown>;
    } catch (error) {
      if (!(error instanceof DoublePuppetRequestError && error.statusCode === 404)) throw error;
    }
    const rooms = Array.isArray(direct[contactUserId]) ? (direct[contactUserId] as unknown[]) : [];
    if (rooms.includes(roomId)) return;
    await requester.doRequest("PUT", path, null, { ...direct, [contactUserId]: [...rooms, roomId] });
    this.options.logger.debug(`listed ${roomId} in the m.direct of ${userId}`);
  }
}

function serverOf(userId: string): string {
  return userId.slice(userId.indexOf(":") + 1);
}

/**
 * Requests with a bearer token: an appservice token with `user_id` naming the user (no login, no
 * session in their device list), or the user's own access token (`userId` undefined).
 */
class TokenRequester implements MatrixRequester {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly userId: string | undefined,
  ) {}

  async doRequest(
    method: string,
    path: string,
    query?: Record<string, unknown> | null,
    body?: unknown,
  ): Promise<unknown> {
    const params = new URLSearchParams(this.userId === undefined ? {} : { user_id: this.userId });
    for (const [key, value] of Object.entries(query ?? {})) params.set(key, String(value));
    const search = params.size > 0 ? `?${params.toString()}` : "";
    const response = await fetch(`${this.baseUrl.replace(/\/+$/, "")}${path}${search}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: the status says enough.
    }
    if (!response.ok) {
      const errcode = (parsed as { errcode?: unknown } | null)?.errcode;
      throw new DoublePuppetRequestError(
        response.status,
        typeof errcode === "string" ? errcode : undefined,
        parsed,
      );
    }
    return parsed;
  }
}
