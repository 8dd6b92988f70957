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
  logger: Logger;
}

const AS_TOKEN_PREFIX = "as_token:";

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

  constructor(private readonly options: DoublePuppetOptions) {}

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

  /** Requests as `userId`, or undefined when the bridge may not act as them. */
  requesterOf(userId: string): MatrixRequester | undefined {
    const server = userId.slice(userId.indexOf(":") + 1);
    const secret = this.options.secrets[server];
    if (!secret?.startsWith(AS_TOKEN_PREFIX)) return undefined;
    const baseUrl =
      this.options.servers[server] ??
      (server === this.options.serverName ? this.options.homeserverUrl : undefined);
    if (baseUrl === undefined) return undefined;
    return new AppserviceRequester(baseUrl, secret.slice(AS_TOKEN_PREFIX.length), userId);
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

/** The appservice token with `user_id` naming the user: no login, no session in their device list. */
class AppserviceRequester implements MatrixRequester {
  constructor(
    private readonly baseUrl: string,
    private readonly asToken: string,
    private readonly userId: string,
  ) {}

  async doRequest(
    method: string,
    path: string,
    query?: Record<string, unknown> | null,
    body?: unknown,
  ): Promise<unknown> {
    const params = new URLSearchParams({ user_id: this.userId });
    for (const [key, value] of Object.entries(query ?? {})) params.set(key, String(value));
    const response = await fetch(`${this.baseUrl.replace(/\/+$/, "")}${path}?${params}`, {
      method,
      headers: {
        authorization: `Bearer ${this.asToken}`,
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
