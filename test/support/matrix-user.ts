/**
 * A Matrix user as Element would drive it: matrix-js-sdk syncing against the test homeserver.
 * Waits look at the timeline the client has synced, so they see what a user would see.
 */
import {
  ClientEvent,
  createClient,
  type MatrixClient,
  type MatrixEvent,
  MatrixEventEvent,
  RoomEvent,
} from "matrix-js-sdk";
import { logger as sdkLogger } from "matrix-js-sdk/lib/logger.js";
import { waitFor, withTimeout } from "./wait.js";

// The SDK logs every request and sync step; test output should show what the tests say.
// Its logger is a loglevel logger at runtime, though the typings leave out setLevel.
(sdkLogger as unknown as { setLevel(level: "warn"): void }).setLevel("warn");

export interface MatrixUser {
  userId: string;
  client: MatrixClient;
  /** Creates a direct chat with `other` (encrypted if asked) and returns its room ID. */
  createDirectRoom(other: string, options?: { encrypted?: boolean }): Promise<string>;
  sendText(roomId: string, body: string): Promise<string>;
  /** Resolves with the first timeline event in `roomId` (already synced or arriving) that matches. */
  waitForEvent(
    roomId: string,
    matches: (event: MatrixEvent) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<MatrixEvent>;
  /**
   * Waits for an invite to a room not seen before, joins it and returns its ID. Spaces are left
   * alone: the bridge's personal space is an invite of its own, next to the portals.
   */
  acceptNextInvite(what: string, timeoutMs?: number): Promise<string>;
  /** The bytes of an mxc:// URL, downloaded as this user's client would (authenticated media). */
  download(mxc: string): Promise<Buffer>;
  /** Every event of a room from its start, oldest first, as the homeserver stores them (raw JSON). */
  roomEvents(roomId: string): Promise<RawRoomEvent[]>;
  /** Resolves when `userId` has left `roomId` (or never joined and was refused). */
  waitForMembership(roomId: string, userId: string, membership: string, timeoutMs?: number): Promise<void>;
  stop(): void;
}

/** A room event as the client-server API returns it. */
export interface RawRoomEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  redacted_because?: unknown;
}

/**
 * Starts a syncing client for `credentials`. With `encryption`, the client has end-to-end encryption
 * (matrix-js-sdk's Rust crypto, in memory): it encrypts in encrypted rooms and decrypts what it gets.
 */
export async function startMatrixUser(
  baseUrl: string,
  credentials: { userId: string; accessToken: string; deviceId?: string },
  options: { encryption?: boolean } = {},
) {
  const client = createClient({
    baseUrl,
    userId: credentials.userId,
    accessToken: credentials.accessToken,
    ...(credentials.deviceId ? { deviceId: credentials.deviceId } : {}),
  });
  if (options.encryption) await client.initRustCrypto({ useIndexedDB: false });
  const ready = new Promise<void>((resolve) => {
    client.on(ClientEvent.Sync, (state) => {
      if (state === "PREPARED") resolve();
    });
  });
  await client.startClient({ initialSyncLimit: 20 });
  await withTimeout(ready, 30_000, `the first sync of ${credentials.userId}`);

  const timelineOf = (roomId: string) => client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [];

  const waitForEvent: MatrixUser["waitForEvent"] = (roomId, matches, what, timeoutMs = 30_000) => {
    const existing = timelineOf(roomId).find(matches);
    if (existing) return Promise.resolve(existing);
    let listener: ((event: MatrixEvent) => void) | undefined;
    // An encrypted event is in the timeline before it is decrypted: both moments are looked at.
    const arrived = new Promise<MatrixEvent>((resolve) => {
      listener = (event: MatrixEvent) => {
        if (event.getRoomId() === roomId && !event.isDecryptionFailure() && matches(event)) resolve(event);
      };
      client.on(RoomEvent.Timeline, listener);
      client.on(MatrixEventEvent.Decrypted, listener);
    });
    return withTimeout(
      arrived,
      timeoutMs,
      `${what} in ${roomId} (seen: ${describeTimeline(timelineOf(roomId))})`,
    ).finally(() => {
      if (!listener) return;
      client.off(RoomEvent.Timeline, listener);
      client.off(MatrixEventEvent.Decrypted, listener);
    });
  };

  const handledInvites = new Set<string>();
  const user: MatrixUser = {
    userId: credentials.userId,
    client,
    async createDirectRoom(other, { encrypted = false } = {}) {
      const { room_id } = await client.createRoom({
        is_direct: true,
        invite: [other],
        preset: "trusted_private_chat" as never,
        ...(encrypted
          ? {
              initial_state: [
                { type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } },
              ],
            }
          : {}),
      });
      return room_id;
    },
    async sendText(roomId, body) {
      const { event_id } = await client.sendEvent(
        roomId,
        "m.room.message" as never,
        { msgtype: "m.text", body } as never,
      );
      return event_id;
    },
    waitForEvent,
    async acceptNextInvite(what, timeoutMs = 30_000) {
      let roomId: string | undefined;
      await waitFor(
        () => {
          roomId = client
            .getRooms()
            .find(
              (room) =>
                room.getMyMembership() === "invite" &&
                !handledInvites.has(room.roomId) &&
                !room.isSpaceRoom(),
            )?.roomId;
          return roomId !== undefined;
        },
        { timeoutMs, what: `an invite to ${what}` },
      );
      handledInvites.add(roomId!);
      await client.joinRoom(roomId!);
      return roomId!;
    },
    async waitForMembership(roomId, userId, membership, timeoutMs = 30_000) {
      await waitForEvent(
        roomId,
        (event) =>
          event.getType() === "m.room.member" &&
          event.getStateKey() === userId &&
          event.getContent()["membership"] === membership,
        `${userId} to have membership ${membership}`,
        timeoutMs,
      );
    },
    async roomEvents(roomId) {
      const events: RawRoomEvent[] = [];
      let from: string | undefined;
      for (;;) {
        const query = new URLSearchParams({ dir: "f", limit: "500", ...(from ? { from } : {}) });
        const response = await fetch(
          `${baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?${query.toString()}`,
          { headers: { Authorization: `Bearer ${credentials.accessToken}` } },
        );
        if (response.status !== 200) throw new Error(`reading ${roomId} answered ${response.status}`);
        const page = (await response.json()) as { chunk: RawRoomEvent[]; end?: string };
        events.push(...page.chunk);
        if (!page.end || page.chunk.length === 0) return events;
        from = page.end;
      }
    },
    async download(mxc) {
      const path = mxc.replace(/^mxc:\/\//, "");
      const response = await fetch(`${baseUrl}/_matrix/client/v1/media/download/${path}`, {
        headers: { Authorization: `Bearer ${credentials.accessToken}` },
      });
      if (response.status !== 200) throw new Error(`downloading ${mxc} answered ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    },
    stop: () => client.stopClient(),
  };
  return user;
}

function describeTimeline(events: MatrixEvent[]): string {
  const shown = events.slice(-8).map((e) => {
    const body = e.getContent()["body"];
    return `${e.getType()} from ${e.getSender()}${typeof body === "string" ? `: ${JSON.stringify(body.slice(0, 80))}` : ""}`;
  });
  return shown.length > 0 ? shown.join("; ") : "nothing";
}
