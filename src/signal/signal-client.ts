// A linked Signal device at work: keeps the chat connection, decrypts what arrives, buffers it,
// and emits typed events until the consumer marks them handled.
import type {
  AuthenticatedChatConnection,
  ChatServerMessageAck,
  Net,
} from "@signalapp/libsignal-client/dist/net.js";
import { decodeBufferedItem } from "./buffered-item.js";
import type { ChatRequester } from "./chat-api.js";
import { ChatConnectionKeeper, DEFAULT_RECONNECT_POLICY, type ReconnectPolicy } from "./chat-connection.js";
import { type DiscoveredAccount, discoverPhoneNumbers } from "./contacts/contact-discovery.js";
import { eventFromItem } from "./content-events.js";
import { uploadFormsOf, type UploadFormSource } from "./attachments/attachment-upload.js";
import { NoHistoryTransferError } from "./backups/backup-errors.js";
import type { HistoryArchive } from "./backups/history-reader.js";
import { fetchHistory } from "./backups/history-transfer.js";
import {
  pollTransferArchive,
  type TransferArchiveAnswer,
  type TransferArchiveLocation,
} from "./backups/transfer-archive.js";
import { EnvelopeReceiver, type RetryRequest } from "./envelope-receiver.js";
import { HandledMarks } from "./handled-marks.js";
import type { SignalEnvironment } from "./environment.js";
import { SignalClientError } from "./errors.js";
import type { ConnectionState, SignalEvent, SignalEventOf, SignalEventType } from "./events.js";
import type { LinkedAccount } from "./link-device.js";
import { MessageSender } from "./message-sender.js";
import { createNet, DEFAULT_USER_AGENT } from "./net.js";
import { maintainPreKeys } from "./pre-keys.js";
import { reportingRequester, type SignalRequestReporter } from "./request-reports.js";
import { SendContext } from "./send/send-context.js";
import type { AccountRecord, SignalStorage } from "./storage.js";
import { lookUpUsername } from "./usernames/username-lookup.js";

export interface SignalClientOptions {
  environment: SignalEnvironment;
  storage: SignalStorage;
  userAgent?: string;
  reconnect?: Partial<ReconnectPolicy>;
  /** Told of each chat request and each send when it ends (for metrics). */
  onRequest?: SignalRequestReporter;
}

/** The storage holds no linked account. */
export class NotLinkedError extends SignalClientError {
  constructor() {
    super("No Signal account is linked for this login. Link a device first.");
  }
}

const KEY_MAINTENANCE_INTERVAL_MS = 6 * 60 * 60 * 1000;
/** At most this many received envelopes share one commit. */
const RECEIVE_BATCH = 16;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type Listener<T extends SignalEventType> = (event: SignalEventOf<T>) => void;

export class SignalClient {
  private readonly listeners = new Map<SignalEventType, Set<(event: SignalEvent) => void>>();
  private readonly net: Net;
  private readonly receiver: EnvelopeReceiver;
  private readonly keeper: ChatConnectionKeeper;
  private readonly sending: SendContext;
  private processing: Promise<void> = Promise.resolve();
  /** Envelopes received and not yet stored, in arrival order. */
  private readonly received: Array<{
    envelope: Uint8Array;
    serverTimestamp: number;
    ack: ChatServerMessageAck;
  }> = [];
  private state: ConnectionState = "stopped";
  private started = false;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private readonly handledMarks: HandledMarks;

  private constructor(
    private readonly options: SignalClientOptions,
    private readonly accountRecord: AccountRecord,
  ) {
    this.net = createNet(options.environment, options.userAgent ?? DEFAULT_USER_AGENT);
    this.handledMarks = new HandledMarks(options.storage);
    this.receiver = new EnvelopeReceiver(
      options.storage,
      accountRecord,
      options.environment.serverTrustRoots,
    );
    this.keeper = new ChatConnectionKeeper(
      this.net,
      `${accountRecord.aci}.${accountRecord.deviceId}`,
      accountRecord.password,
      {
        onEnvelope: (envelope, timestamp, ack) => this.enqueue(envelope, timestamp, ack),
        onQueueEmpty: () => this.onQueueEmpty(),
        onConnected: () => undefined,
        onState: (state, detail) => this.setState(state, detail),
      },
      { ...DEFAULT_RECONNECT_POLICY, ...options.reconnect },
    );
    this.sending = new SendContext({
      environment: options.environment,
      storage: options.storage,
      account: accountRecord,
      chat: this.chat,
      net: this.net,
      onIdentityChange: (serviceId) => this.emit({ type: "identity-change", serviceId }),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
  }

  /** Opens the client for the account in `storage`; throws NotLinkedError if there is none. */
  static async open(options: SignalClientOptions): Promise<SignalClient> {
    const account = await options.storage.getAccount();
    if (!account) throw new NotLinkedError();
    return new SignalClient(options, account);
  }

  /** The account's storage, as the client was given it. */
  get storage(): SignalStorage {
    return this.options.storage;
  }

  get account(): LinkedAccount {
    const { aci, pni, number, deviceId } = this.accountRecord;
    return { aci, pni, number, deviceId };
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  get environment(): SignalEnvironment {
    return this.options.environment;
  }

  /**
   * Whether the phone offered its message history when this device was linked (the user chose to
   * transfer it), and the offer was not forgotten yet.
   */
  get historyTransferOffered(): boolean {
    return this.accountRecord.ephemeralBackupKey !== null;
  }

  /**
   * Asks once whether the phone has uploaded its history, letting the server hold the request up
   * to `waitSeconds`; null when it has not by then.
   */
  async pollHistoryTransfer(waitSeconds: number): Promise<TransferArchiveAnswer | null> {
    return pollTransferArchive(this.chat, waitSeconds);
  }

  /**
   * Downloads and reads the history the phone uploaded, keeping the last `messagesPerChat`
   * messages of each chat. Throws TransferArchiveError when the archive is gone or unreadable.
   */
  async fetchHistory(
    location: TransferArchiveLocation,
    options: { messagesPerChat: number; signal?: AbortSignal; onRefusedFrame?: (reason: string) => void },
  ): Promise<HistoryArchive> {
    const key = this.accountRecord.ephemeralBackupKey;
    if (!key) throw new NoHistoryTransferError();
    return fetchHistory(this.options.environment, location, {
      ...options,
      ownAci: this.accountRecord.aci,
      ephemeralBackupKey: key,
    });
  }

  /** Drops the key of the history transfer once the history is in, or will not come. */
  async forgetHistoryTransfer(): Promise<void> {
    this.accountRecord.ephemeralBackupKey = null;
    // Pre-key maintenance writes the whole record it read; should it have read the key just
    // before, the key comes back, unused: the consumer keeps its own record of the import.
    const stored = await this.options.storage.getAccount();
    if (stored?.ephemeralBackupKey) {
      await this.options.storage.commit([
        { type: "account", account: { ...stored, ephemeralBackupKey: null } },
      ]);
    }
  }

  /** Requests over whichever chat connection is current (each waits for one), surviving reconnects. */
  get chat(): ChatRequester {
    return reportingRequester(
      { fetch: async (request, options) => (await this.keeper.waitForConnection()).fetch(request, options) },
      this.options.onRequest,
    );
  }

  /** Attachment upload forms over whichever chat connection is current (each waits for one). */
  get uploadForms(): UploadFormSource {
    return {
      getUploadForm: async (...args) =>
        uploadFormsOf(await this.keeper.waitForConnection()).getUploadForm(...args),
    };
  }

  on<T extends SignalEventType>(type: T, listener: Listener<T>): () => void {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    const wrapped = listener as (event: SignalEvent) => void;
    set.add(wrapped);
    return () => set.delete(wrapped);
  }

  /** Emits buffered events not yet handled (from before a restart), then connects. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const pending of await this.options.storage.listPendingEvents()) {
      const event = eventFromItem(pending.key, decodeBufferedItem(pending.payload));
      if (event) this.emit(event);
      else await this.markHandled(pending.key);
    }
    this.keeper.start();
    // Queue-empty only comes once per connection; a connection that stays up for days still
    // needs its signed pre-keys rotated and its one-time keys refilled.
    this.maintenanceTimer = setInterval(() => {
      this.processing = this.processing.then(async () => {
        const connection = this.keeper.connection;
        if (connection) await this.maintainKeys(connection);
      });
    }, KEY_MAINTENANCE_INTERVAL_MS);
    this.maintenanceTimer.unref();
  }

  /** Disconnects and waits until the envelopes already received are buffered. */
  async stop(): Promise<void> {
    clearInterval(this.maintenanceTimer);
    await this.keeper.stop();
    await this.sending.close();
    await this.processing;
  }

  /**
   * Marks a buffered event handled: it will not be emitted again. Marks asked for in the same
   * turn of the event loop share one commit (see HandledMarks).
   */
  markHandled(id: string): Promise<void> {
    return this.handledMarks.mark(id);
  }

  /** A 1:1 sender; its requests go over whichever connection is current (each waits for one). */
  async sender(): Promise<MessageSender> {
    return this.sending.sender();
  }

  /** The ACI of whoever has this username (`name.42`), or null; throws InvalidUsernameError for a malformed one. */
  async lookUpUsername(username: string): Promise<string | null> {
    return lookUpUsername(await this.sending.unidentifiedChat(), username);
  }

  /**
   * Who has these phone numbers (E.164) on Signal, asked of the contact discovery service; a
   * number nobody can be found by is left out. Throws DiscoveryRateLimitedError when told to wait.
   */
  async discoverPhoneNumbers(e164s: readonly string[]): Promise<Map<string, DiscoveredAccount>> {
    return discoverPhoneNumbers(this.net, this.chat, e164s);
  }

  /** What the functions of outgoing-message.ts share between sends (certificates, endorsements, connections). */
  get sendContext(): SendContext {
    return this.sending;
  }

  private emit(event: SignalEvent): void {
    for (const listener of this.listeners.get(event.type) ?? []) {
      try {
        listener(event);
      } catch {
        // A failing listener must not stop the pipeline; the event stays buffered until handled.
      }
    }
  }

  private setState(state: ConnectionState, detail: string | null): void {
    this.state = state;
    this.emit({ type: "connection-state", state, detail });
    if (state === "logged-out") {
      this.emit({ type: "logged-out", reason: detail ?? "credentials refused" });
    }
  }

  // Envelopes are handled in arrival order: decryption must see the protocol state left by the
  // previous envelope. Those that arrived while the previous ones were being stored go into one
  // commit together (a backlog after a reconnect, a busy group), at most RECEIVE_BATCH of them so
  // that a send waiting for the protocol lock does not wait for a whole backlog.
  private enqueue(envelope: Uint8Array, serverTimestamp: number, ack: ChatServerMessageAck): void {
    this.received.push({ envelope, serverTimestamp, ack });
    this.processing = this.processing.then(() => this.processReceived());
  }

  private async processReceived(): Promise<void> {
    // Earlier calls may have taken this call's envelope into their batch already.
    const batch = this.received.splice(0, RECEIVE_BATCH);
    if (batch.length === 0) return;
    let results;
    try {
      results = await this.receiver.receiveBatch(
        batch.map(({ envelope, serverTimestamp }) => ({ raw: envelope, receivedAt: serverTimestamp })),
      );
    } catch (error) {
      // Not buffered, so not acknowledged: the server delivers them again after a reconnect.
      const what = batch.length === 1 ? "an incoming message" : `${batch.length} incoming messages`;
      this.emit({ type: "client-error", message: `could not store ${what}: ${describe(error)}` });
      return;
    }
    for (const [index, result] of results.entries()) {
      try {
        batch[index]!.ack.send(200);
      } catch {
        // The connection closed after the envelope was buffered; the server redelivers it and
        // the buffer recognises it, so the event is still emitted exactly once (below).
      }
      for (const change of result.identityChanges)
        this.emit({ type: "identity-change", serviceId: change.serviceId });
      if (result.item) {
        const event = eventFromItem(result.key, result.item);
        if (event) this.emit(event);
      }
      if (result.retry) void this.sendRetryRequest(result.retry);
    }
  }

  private async sendRetryRequest(retry: RetryRequest): Promise<void> {
    const connection = this.keeper.connection;
    if (!connection) return;
    try {
      await new MessageSender(connection, this.options.storage, this.accountRecord).sendToServiceId(
        retry.sender.aci,
        { kind: "plaintext", plaintext: retry.plaintext },
        { timestamp: Date.now(), urgent: false },
      );
    } catch {
      // The sender may still resend on its own; a failed retry request must not stop receiving.
    }
  }

  private onQueueEmpty(): void {
    this.processing = this.processing.then(async () => {
      this.emit({ type: "queue-empty" });
      const connection = this.keeper.connection;
      if (connection) await this.maintainKeys(connection);
    });
  }

  private async maintainKeys(connection: AuthenticatedChatConnection): Promise<void> {
    try {
      await maintainPreKeys(connection, this.options.storage);
    } catch (error) {
      // Retried after the next connection's queue-empty; a lost connection reports itself.
      if (this.keeper.connection === connection) {
        this.emit({ type: "client-error", message: `could not refresh pre-keys: ${describe(error)}` });
      }
    }
  }
}
