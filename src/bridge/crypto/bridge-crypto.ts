// End-to-bridge encryption: the bot's one device, driven through matrix-sdk-crypto's OlmMachine
// (the WebAssembly build, which installs from the npm registry alone). The bot device encrypts what
// the bot and every ghost send into encrypted rooms and decrypts what Matrix users send there.
import {
  DecryptionSettings,
  DeviceId,
  DeviceLists,
  EncryptionSettings,
  HistoryVisibility,
  initAsync,
  KeysClaimRequest,
  KeysQueryRequest,
  KeysUploadRequest,
  MegolmDecryptionError,
  OlmMachine,
  RequestType,
  RoomId,
  RoomMessageRequest,
  SignatureUploadRequest,
  StoreHandle,
  ToDeviceRequest,
  TrustRequirement,
  UserId,
  type RoomKeyInfo,
} from "@matrix-org/matrix-sdk-crypto-wasm";
import type { Logger } from "../../logger.js";
import { ensureBotDevice, type CryptoValues } from "./bot-device.js";
import { CryptoHttp, HomeserverError } from "./crypto-http.js";
import type { TransactionDeviceData } from "../matrix/transaction-events.js";
import { type CryptoDatabaseStorage, IndexedDbMirror } from "./indexeddb-mirror.js";
import { UndecryptableEventError } from "./undecryptable.js";

/** The crypto library's store in the (mirrored) IndexedDB. */
const STORE_NAME = "signal-bridge-bot";
/** How long a message whose room key has not arrived yet waits for it before it is reported. */
const KEY_WAIT_MS = 30_000;

export interface BridgeCryptoOptions {
  homeserverUrl: string;
  asToken: string;
  botUserId: string;
  tables: CryptoValues & CryptoDatabaseStorage & { resetDatabases(): Promise<void> };
  /** Bot and ghosts: they have no devices of their own to share room keys with. */
  isBridgeUser(userId: string): boolean;
  logger: Logger;
}

export { UndecryptableEventError };

/** A Matrix room event as the homeserver delivers it. */
export interface RoomEvent {
  type: string;
  room_id: string;
  sender: string;
  event_id: string;
  content: Record<string, unknown>;
  state_key?: string;
  [field: string]: unknown;
}

interface RoomState {
  /** The room's m.room.encryption content, null when the room is not encrypted. */
  encryption?: Record<string, unknown> | null;
  historyVisibility?: string;
  /** Users a room key is shared with (bridge users left out). */
  members?: string[];
}

export class BridgeCrypto {
  private readonly rooms = new Map<string, RoomState>();
  private readonly roomLocks = new Map<string, Promise<unknown>>();
  private exclusiveTail: Promise<unknown> = Promise.resolve();
  private readonly keyWaiters = new Map<string, Set<() => void>>();
  /** Whether any to-device message reached the bot's device in this run (see decrypt()). */
  private toDeviceSeen = false;
  private toDeviceWarned = false;
  private readonly appservice: CryptoHttp;
  private readonly device: CryptoHttp;

  private constructor(
    private readonly options: BridgeCryptoOptions,
    private readonly machine: OlmMachine,
    private readonly mirror: IndexedDbMirror,
    private readonly deviceId: string,
    deviceToken: string,
  ) {
    this.appservice = new CryptoHttp(options.homeserverUrl, options.asToken);
    this.device = new CryptoHttp(options.homeserverUrl, deviceToken);
  }

  /** Loads (or creates) the bot's device and crypto state, publishes its keys and starts listening. */
  static async start(options: BridgeCryptoOptions): Promise<BridgeCrypto> {
    const { tables, logger } = options;
    const device = await ensureBotDevice({ ...options, values: tables });
    if (device.created) await tables.resetDatabases();
    const mirror = await IndexedDbMirror.open(tables);
    mirror.installGlobals();
    await initAsync();
    const handle = await StoreHandle.openWithKey(STORE_NAME, device.storeKey);
    const machine = await OlmMachine.initFromStore(
      new UserId(options.botUserId),
      new DeviceId(device.deviceId),
      handle,
    );
    const crypto = new BridgeCrypto(options, machine, mirror, device.deviceId, device.accessToken);
    machine.registerRoomKeyUpdatedCallback(async (keys) => crypto.keysArrived(keys));
    await crypto.exclusive(() => crypto.sendOutgoingRequests());
    logger.info(
      `end-to-bridge encryption ready: device ${device.deviceId} of ${options.botUserId}, identity key ${machine.identityKeys.ed25519.toBase64()}`,
    );
    return crypto;
  }

  async stop(): Promise<void> {
    await this.exclusiveTail.catch(() => undefined);
    this.machine.close();
    this.mirror.detach();
  }

  /**
   * Keeps the room caches current from the events of a transaction (all of them, the bridge's own
   * too): membership and history visibility decide who gets room keys.
   */
  noteRoomEvent(event: {
    type: string;
    room_id: string;
    state_key?: unknown;
    content: Record<string, unknown>;
  }) {
    if (event.state_key === undefined) return;
    const room = this.rooms.get(event.room_id);
    if (event.type === "m.room.encryption" && event.state_key === "") {
      this.rooms.set(event.room_id, { ...room, encryption: event.content });
    } else if (!room) {
      return;
    } else if (event.type === "m.room.member") {
      delete room.members;
    } else if (event.type === "m.room.history_visibility" && event.state_key === "") {
      const visibility = event.content["history_visibility"];
      if (typeof visibility === "string") room.historyVisibility = visibility;
      delete room.members;
    }
  }

  /** Whether `roomId` is encrypted, asked as `asUserId` (a member) the first time. */
  async isEncrypted(roomId: string, asUserId: string): Promise<boolean> {
    return (await this.encryptionOf(roomId, asUserId)) !== null;
  }

  /**
   * Encrypts an event `asUserId` is about to send: the room key is shared first with every device
   * of the room's Matrix members that does not have it yet. Returns the m.room.encrypted content.
   */
  async encrypt(
    roomId: string,
    asUserId: string,
    eventType: string,
    content: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    return this.inRoom(roomId, async () => {
      const encryption = (await this.encryptionOf(roomId, asUserId)) ?? {};
      const visibility = await this.historyVisibilityOf(roomId, asUserId);
      const members = await this.membersOf(roomId, asUserId, visibility);
      await this.exclusive(async () => {
        await this.machine.updateTrackedUsers(userIds(members));
        await this.sendOutgoingRequests();
        const claim = await this.machine.getMissingSessions(userIds(members));
        if (claim) await this.sendRequest(claim);
        const settings = encryptionSettings(encryption, visibility);
        for (const request of await this.machine.shareRoomKey(
          new RoomId(roomId),
          userIds(members),
          settings,
        )) {
          await this.sendRequest(request);
        }
      });
      const encrypted = await this.machine.encryptRoomEvent(
        new RoomId(roomId),
        eventType,
        JSON.stringify(content),
      );
      return JSON.parse(encrypted) as Record<string, unknown>;
    });
  }

  /**
   * The cleartext of an m.room.encrypted event. A room key that has not arrived yet is waited for a
   * while; then, as for any other failure, {@link UndecryptableEventError} says why.
   */
  async decrypt(event: RoomEvent): Promise<RoomEvent> {
    const sessionId =
      typeof event.content["session_id"] === "string" ? event.content["session_id"] : undefined;
    try {
      return await this.decryptNow(event);
    } catch (error) {
      if (!isMissingKey(error) || sessionId === undefined) throw undecryptable(error);
    }
    this.options.logger.debug(`waiting for the room key of ${event.event_id} (session ${sessionId})`);
    await this.waitForKey(sessionId, KEY_WAIT_MS);
    if (!this.toDeviceSeen && !this.toDeviceWarned) {
      this.toDeviceWarned = true;
      this.options.logger.warn(
        "no to-device message has reached the bot's device since the bridge started, so it gets no room keys: " +
          "check that the homeserver sends them to appservices (Synapse: experimental_features " +
          "msc2409_to_device_messages_enabled and msc3202_transaction_extensions; docs/encryption.md)",
      );
    }
    try {
      return await this.decryptNow(event);
    } catch (error) {
      throw undecryptable(error);
    }
  }

  private async decryptNow(event: RoomEvent): Promise<RoomEvent> {
    const decrypted = await this.machine.decryptRoomEvent(
      JSON.stringify(event),
      new RoomId(event.room_id),
      new DecryptionSettings(TrustRequirement.Untrusted),
    );
    const clear = JSON.parse(decrypted.event) as { type?: unknown; content?: unknown };
    if (typeof clear.type !== "string" || clear.content === null || typeof clear.content !== "object") {
      throw new UndecryptableEventError("its decrypted content is not an event");
    }
    const content = { ...(clear.content as Record<string, unknown>) };
    // Relations stay outside the encryption so the server can aggregate them (spec: m.relates_to).
    if (content["m.relates_to"] === undefined && event.content["m.relates_to"] !== undefined) {
      content["m.relates_to"] = event.content["m.relates_to"];
    }
    return { ...event, type: clear.type, content };
  }

  private keysArrived(keys: RoomKeyInfo[]): void {
    for (const key of keys) {
      const waiters = this.keyWaiters.get(key.sessionId);
      if (!waiters) continue;
      this.keyWaiters.delete(key.sessionId);
      for (const wake of waiters) wake();
    }
  }

  private waitForKey(sessionId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.keyWaiters.get(sessionId) ?? new Set();
      this.keyWaiters.set(sessionId, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.keyWaiters.get(sessionId) === waiters)
          this.keyWaiters.delete(sessionId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      waiters.add(done);
    });
  }

  /**
   * Takes in what a homeserver transaction says about devices (MSC4203 to-device messages, MSC3202
   * device lists and key counts): room keys sent to the bot's device, devices that changed, how many
   * one-time keys are left. Resolves once the crypto state it changed is stored, so the transaction
   * may be answered. A failure of the crypto library itself rejects (the homeserver sends the
   * transaction again); a failure of the storage under it stops the process (indexeddb-mirror.ts).
   */
  async receiveTransaction(data: TransactionDeviceData): Promise<void> {
    const { botUserId } = this.options;
    const toDevice = data.toDevice.filter(
      (event) => event["to_user_id"] === botUserId && event["to_device_id"] === this.deviceId,
    );
    if (toDevice.length > 0) this.toDeviceSeen = true;
    const counts = data.oneTimeKeyCounts[botUserId]?.[this.deviceId] ?? {};
    const fallback = data.unusedFallbackKeyTypes[botUserId]?.[this.deviceId];
    const changes = toDevice.length + data.changed.length + data.left.length + Object.keys(counts).length;
    if (changes === 0 && !fallback) return;
    await this.exclusive(async () => {
      const processed = await this.machine.receiveSyncChanges(
        JSON.stringify(toDevice),
        new DeviceLists(
          data.changed.map((id) => new UserId(id)),
          data.left.map((id) => new UserId(id)),
        ),
        new Map(Object.entries(counts)),
        fallback ? new Set(fallback) : undefined,
        new DecryptionSettings(TrustRequirement.Untrusted),
      );
      if (processed.length > 0) this.options.logger.debug(`took in ${processed.length} to-device event(s)`);
      // What it asks for now (new one-time keys, key queries) is asked for again until sent, so a
      // homeserver hiccup here must not fail the transaction: that would hold every room's events.
      await this.sendOutgoingRequests().catch((error: unknown) =>
        this.options.logger.warn(
          `crypto requests failed; they are tried again later: ${(error as Error).message}`,
        ),
      );
    });
  }

  /** Sends what the crypto library asks for (key uploads and queries, to-device messages). */
  private async sendOutgoingRequests(): Promise<void> {
    for (const request of await this.machine.outgoingRequests()) await this.sendRequest(request);
  }

  private async sendRequest(
    request:
      | KeysUploadRequest
      | KeysQueryRequest
      | KeysClaimRequest
      | ToDeviceRequest
      | SignatureUploadRequest
      | RoomMessageRequest
      | { type: RequestType; id?: string | undefined },
  ): Promise<void> {
    let response: Record<string, unknown>;
    if (request instanceof KeysUploadRequest) {
      response = await this.post("/_matrix/client/v3/keys/upload", request.body);
    } else if (request instanceof KeysQueryRequest) {
      response = await this.post("/_matrix/client/v3/keys/query", request.body);
    } else if (request instanceof KeysClaimRequest) {
      response = await this.post("/_matrix/client/v3/keys/claim", request.body);
    } else if (request instanceof SignatureUploadRequest) {
      response = await this.post("/_matrix/client/v3/keys/signatures/upload", request.body);
    } else if (request instanceof ToDeviceRequest) {
      response = await this.device.request({
        method: "PUT",
        path: `/_matrix/client/v3/sendToDevice/${encodeURIComponent(request.event_type)}/${encodeURIComponent(request.txn_id)}`,
        body: JSON.parse(request.body),
      });
    } else if (request instanceof RoomMessageRequest) {
      response = await this.device.request({
        method: "PUT",
        path:
          `/_matrix/client/v3/rooms/${encodeURIComponent(request.room_id)}/send/` +
          `${encodeURIComponent(request.event_type)}/${encodeURIComponent(request.txn_id)}`,
        body: JSON.parse(request.body),
      });
    } else {
      // Key backups are never enabled, so nothing else is asked for.
      this.options.logger.debug(`ignored a crypto request of type ${request.type}`);
      return;
    }
    if (request.id !== undefined) {
      await this.machine.markRequestAsSent(request.id, request.type, JSON.stringify(response));
    }
  }

  private post(path: string, body: string): Promise<Record<string, unknown>> {
    return this.device.request({ method: "POST", path, body: JSON.parse(body) });
  }

  private async encryptionOf(roomId: string, asUserId: string): Promise<Record<string, unknown> | null> {
    const known = this.rooms.get(roomId)?.encryption;
    if (known !== undefined) return known;
    const content = await this.stateOf(roomId, asUserId, "m.room.encryption");
    const room = this.rooms.get(roomId) ?? {};
    room.encryption = content;
    this.rooms.set(roomId, room);
    return content;
  }

  private async historyVisibilityOf(roomId: string, asUserId: string): Promise<string> {
    const room = this.rooms.get(roomId) ?? {};
    this.rooms.set(roomId, room);
    if (room.historyVisibility === undefined) {
      const content = await this.stateOf(roomId, asUserId, "m.room.history_visibility");
      const visibility = content?.["history_visibility"];
      room.historyVisibility = typeof visibility === "string" ? visibility : "shared";
    }
    return room.historyVisibility;
  }

  private async membersOf(roomId: string, asUserId: string, visibility: string): Promise<string[]> {
    const room = this.rooms.get(roomId) ?? {};
    this.rooms.set(roomId, room);
    if (room.members) return room.members;
    const answer = await this.appservice.request({
      method: "GET",
      path: `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/members`,
      query: { user_id: asUserId, not_membership: "leave" },
    });
    const wanted = visibility === "joined" ? ["join"] : ["join", "invite"];
    const members: string[] = [];
    for (const member of Array.isArray(answer["chunk"]) ? (answer["chunk"] as RoomEvent[]) : []) {
      const membership = member.content?.["membership"];
      const userId = member.state_key;
      if (typeof userId !== "string" || typeof membership !== "string" || !wanted.includes(membership))
        continue;
      if (!this.options.isBridgeUser(userId)) members.push(userId);
    }
    room.members = members;
    return members;
  }

  private async stateOf(
    roomId: string,
    asUserId: string,
    eventType: string,
  ): Promise<Record<string, unknown> | null> {
    try {
      return await this.appservice.request({
        method: "GET",
        path: `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${encodeURIComponent(eventType)}/`,
        query: { user_id: asUserId },
      });
    } catch (error) {
      if (error instanceof HomeserverError && error.errcode === "M_NOT_FOUND") return null;
      throw error;
    }
  }

  /** Runs `work` after every earlier exclusive work: the crypto library wants its requests one at a time. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.exclusiveTail.catch(() => undefined).then(work);
    this.exclusiveTail = run;
    return run;
  }

  /** One encryption at a time per room (sharing a room key twice at once would make two sessions). */
  private inRoom<T>(roomId: string, work: () => Promise<T>): Promise<T> {
    const run = (this.roomLocks.get(roomId) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.roomLocks.set(roomId, run);
    const forget = () => {
      if (this.roomLocks.get(roomId) === run) this.roomLocks.delete(roomId);
    };
    run.then(forget, forget);
    return run;
  }
}

/** Fresh UserId objects: the crypto library takes ownership of those it is given. */
function userIds(users: readonly string[]): UserId[] {
  return users.map((user) => new UserId(user));
}

function encryptionSettings(encryption: Record<string, unknown>, visibility: string): EncryptionSettings {
  const settings = new EncryptionSettings();
  const periodMs = encryption["rotation_period_ms"];
  const periodMessages = encryption["rotation_period_msgs"];
  if (typeof periodMs === "number" && periodMs > 0)
    settings.rotationPeriod = BigInt(Math.round(periodMs)) * 1000n;
  if (typeof periodMessages === "number" && periodMessages > 0)
    settings.rotationPeriodMessages = BigInt(Math.round(periodMessages));
  settings.historyVisibility =
    visibility === "joined"
      ? HistoryVisibility.Joined
      : visibility === "invited"
        ? HistoryVisibility.Invited
        : visibility === "world_readable"
          ? HistoryVisibility.WorldReadable
          : HistoryVisibility.Shared;
  return settings;
}

function isMissingKey(error: unknown): boolean {
  return (
    error instanceof MegolmDecryptionError &&
    error.withheldCode === undefined &&
    (error.code === 0 /* MissingRoomKey */ || error.code === 1) /* UnknownMessageIndex */
  );
}

function undecryptable(error: unknown): Error {
  if (error instanceof UndecryptableEventError) return error;
  if (error instanceof MegolmDecryptionError) {
    if (error.withheldCode !== undefined) {
      return new UndecryptableEventError(
        `the sender's device withheld the key (${error.maybe_withheld ?? error.withheldCode})`,
      );
    }
    if (isMissingKey(error)) {
      return new UndecryptableEventError(
        "the bridge has not received the key for it from the sender's device; if this keeps happening, restart your client or verify the session",
      );
    }
    return new UndecryptableEventError(error.description);
  }
  // A failure of the bridge or the homeserver: the caller's retry policy judges it.
  return error as Error;
}
