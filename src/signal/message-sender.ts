// 1:1 sending: fetch pre-key bundles where we lack sessions, encrypt for every device of the
// recipient (sealed when we hold their access key), PUT /v1/messages/<serviceId>, and repair the
// device list on 409/410. Group sends (send/group-send.ts) build on the device bookkeeping here.
import {
  CiphertextMessageType,
  ContentHint,
  ErrorCode,
  KEMPublicKey,
  LibSignalErrorBase,
  PreKeyBundle,
  ProtocolAddress,
  PublicKey,
  processPreKeyBundle,
  sealedSenderEncrypt,
  signalEncrypt,
  SessionRecord,
  UnidentifiedSenderMessageContent,
  type PlaintextContent,
  type SenderCertificate,
} from "@signalapp/libsignal-client";
import { chatRequest, fromBase64, toBase64, type ChatApiResponse, type ChatRequester } from "./chat-api.js";
import { SendError, ServiceRequestError } from "./errors.js";
import { padContent } from "./padding.js";
import { StoreTransaction, withProtocolLock } from "./protocol-stores.js";
import {
  RateLimitError,
  UnregisteredRecipientError,
  UntrustedIdentityError,
  type RateLimitChallengeOption,
} from "./send/send-errors.js";
import type { AccountRecord, SignalStorage } from "./storage.js";

// Envelope.Type values the server expects in `messages[].type`.
const ENVELOPE_TYPE_CIPHERTEXT = 1;
const ENVELOPE_TYPE_PREKEY = 3;
const ENVELOPE_TYPE_UNIDENTIFIED_SENDER = 6;
const ENVELOPE_TYPE_PLAINTEXT = 8;
const MAX_ATTEMPTS = 5;

/** What to send: a serialized Content (encrypted per device) or a libsignal PlaintextContent. */
export type OutgoingPayload =
  { kind: "content"; content: Uint8Array } | { kind: "plaintext"; plaintext: PlaintextContent };

export interface SendOptions {
  timestamp: number;
  /** Online-only messages (typing) are dropped by the server when the recipient is offline. */
  online?: boolean;
  urgent?: boolean;
  /**
   * The recipient's unidentified access key (from their profile key): the message then goes
   * sealed, so the server does not learn who sent it. A refused key falls back to a normal send.
   */
  accessKey?: Uint8Array | null;
  /** Group identifier a sealed group message carries, so a failed decryption names the group. */
  groupId?: Uint8Array | null;
  /** Whether the recipient may ask us to resend this message if it fails to decrypt. */
  contentHint?: ContentHint;
}

/** What happened to one 1:1 send. */
export interface SendResult {
  /** Whether it went sealed (the server did not learn the sender). */
  unidentified: boolean;
}

/** How sealed-sender sends reach the server: an unauthenticated connection and our sender certificate. */
export interface SealedSenderTransport {
  unidentifiedChat(): Promise<ChatRequester>;
  senderCertificate(): Promise<SenderCertificate>;
}

/** A device of a recipient we hold a session with. */
export interface RecipientDevice {
  deviceId: number;
  registrationId: number;
}

/** The server's view of a recipient's devices, from a 409 or 410 answer. */
export interface DeviceMismatch {
  missingDevices?: readonly number[];
  extraDevices?: readonly number[];
  staleDevices?: readonly number[];
}

interface ServerBundleDevice {
  deviceId: number;
  registrationId: number;
  preKey?: { keyId: number; publicKey: string } | null;
  signedPreKey: { keyId: number; publicKey: string; signature: string };
  pqPreKey: { keyId: number; publicKey: string; signature: string };
}

interface ServerBundle {
  identityKey: string;
  devices: ServerBundleDevice[];
}

interface OutgoingMessage {
  type: number;
  destinationDeviceId: number;
  destinationRegistrationId: number;
  content: string;
}

function isLibSignalError(error: unknown, code: ErrorCode): boolean {
  return error instanceof LibSignalErrorBase && error.code === code;
}

/** Turns a rate-limit answer (413/429 with Retry-After, 428 with a challenge) into RateLimitError. */
export function rateLimitErrorOf(recipient: string, response: ChatApiResponse): RateLimitError | null {
  if (response.status !== 413 && response.status !== 428 && response.status !== 429) return null;
  const retryAfter = Number(response.headers.get("retry-after"));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null;
  if (response.status !== 428) return new RateLimitError(recipient, retryAfterSeconds);
  const body = (response.json ?? {}) as { token?: unknown; options?: unknown };
  const options = Array.isArray(body.options) ? body.options : [];
  const challengeOptions: RateLimitChallengeOption[] = [];
  if (options.some((option) => option === "captcha" || option === "recaptcha"))
    challengeOptions.push("captcha");
  if (options.includes("pushChallenge")) challengeOptions.push("pushChallenge");
  const token = typeof body.token === "string" ? body.token : null;
  return new RateLimitError(recipient, retryAfterSeconds, token, challengeOptions);
}

export class MessageSender {
  constructor(
    private readonly connection: ChatRequester,
    private readonly storage: SignalStorage,
    private readonly account: AccountRecord,
    private readonly sealedSender: SealedSenderTransport | null = null,
    /** Told when a contact's identity key changed while we started a session with them. */
    private readonly onIdentityChange: (serviceId: string) => void = () => undefined,
  ) {}

  get ownAci(): string {
    return this.account.aci;
  }

  /** Sends to every device of `serviceId` (our other devices when it is our own ACI). */
  async sendToServiceId(
    serviceId: string,
    payload: OutgoingPayload,
    options: SendOptions,
  ): Promise<SendResult> {
    const isSelf = serviceId === this.account.aci;
    let accessKey =
      payload.kind === "content" && !isSelf && this.sealedSender ? (options.accessKey ?? null) : null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const certificate = accessKey && this.sealedSender ? await this.sealedSender.senderCertificate() : null;
      const messages = await this.encryptForAllDevices(
        serviceId,
        payload,
        options,
        certificate,
        attempt === 0,
      );
      if (!messages) return { unidentified: false };
      const path = `/v1/messages/${serviceId}`;
      const body = {
        messages,
        timestamp: options.timestamp,
        online: options.online ?? false,
        urgent: options.urgent ?? true,
      };
      const response =
        accessKey && this.sealedSender
          ? await chatRequest(await this.sealedSender.unidentifiedChat(), "PUT", path, body, [
              ["unidentified-access-key", toBase64(accessKey)],
            ])
          : await chatRequest(this.connection, "PUT", path, body);
      if (response.status === 200) return { unidentified: accessKey !== null };
      if (response.status === 401 && accessKey) {
        // Their profile key changed or they restricted sealed sender: send with our identity.
        accessKey = null;
        continue;
      }
      if (response.status === 404) throw new UnregisteredRecipientError(serviceId);
      if (response.status === 409 || response.status === 410) {
        await this.repairDevices(serviceId, (response.json ?? {}) as DeviceMismatch);
        continue;
      }
      const rateLimit = rateLimitErrorOf(serviceId, response);
      if (rateLimit) throw rateLimit;
      throw new ServiceRequestError("PUT", path, response.status, "message was not accepted");
    }
    throw new SendError(`Could not send to ${serviceId}: its device list kept changing. Try again later.`);
  }

  /**
   * Makes sure we hold sessions with the recipient's devices (fetching all their pre-key bundles
   * when we hold none) and returns them with their registration ids.
   */
  async recipientDevices(serviceId: string): Promise<RecipientDevice[]> {
    return withProtocolLock(this.storage, async () => {
      const tx = new StoreTransaction(this.storage, this.account);
      let ids = await this.storage.listSessionDevices("aci", serviceId);
      if (ids.length === 0) ids = await this.establishSessions(tx, serviceId, "*");
      const devices: RecipientDevice[] = [];
      for (const deviceId of ids) {
        if (serviceId === this.account.aci && deviceId === this.account.deviceId) continue;
        const record = await tx.getSession("aci", serviceId, deviceId);
        if (!record) continue;
        const session = SessionRecord.deserialize(new Uint8Array(record));
        if (!session.hasCurrentState()) continue;
        devices.push({ deviceId, registrationId: session.remoteRegistrationId() });
      }
      await this.commit(tx);
      return devices;
    });
  }

  /** Brings our sessions in line with the server's device list (after a 409 or 410). */
  async repairDevices(serviceId: string, mismatch: DeviceMismatch): Promise<void> {
    await withProtocolLock(this.storage, async () => {
      const repair = new StoreTransaction(this.storage, this.account);
      for (const deviceId of mismatch.extraDevices ?? []) {
        repair.write({ type: "session-delete", ours: "aci", serviceId, deviceId });
      }
      // A stale device was re-registered: its old session is useless.
      for (const deviceId of mismatch.staleDevices ?? []) {
        repair.write({ type: "session-delete", ours: "aci", serviceId, deviceId });
      }
      for (const deviceId of [...(mismatch.missingDevices ?? []), ...(mismatch.staleDevices ?? [])]) {
        await this.establishSessions(repair, serviceId, String(deviceId));
      }
      await this.commit(repair);
    });
  }

  // Session state is committed before the request: the recipient may answer on the new
  // session before the server has even answered us.
  private async encryptForAllDevices(
    serviceId: string,
    payload: OutgoingPayload,
    options: SendOptions,
    certificate: SenderCertificate | null,
    mayFetchKeys: boolean,
  ): Promise<OutgoingMessage[] | null> {
    const isSelf = serviceId === this.account.aci;
    return withProtocolLock(this.storage, async () => {
      const tx = new StoreTransaction(this.storage, this.account);
      let devices = await this.storage.listSessionDevices("aci", serviceId);
      if (isSelf) devices = devices.filter((id) => id !== this.account.deviceId);
      if (devices.length === 0 && mayFetchKeys) {
        devices = await this.establishSessions(tx, serviceId, "*");
        if (isSelf) devices = devices.filter((id) => id !== this.account.deviceId);
        // Our own account may have no other device; then there is nobody to send to.
        if (devices.length === 0 && isSelf) return null;
      }
      const encrypted: OutgoingMessage[] = [];
      for (const deviceId of devices) {
        encrypted.push(await this.encryptFor(tx, serviceId, deviceId, payload, options, certificate));
      }
      await this.commit(tx);
      return encrypted;
    });
  }

  private async commit(tx: StoreTransaction): Promise<void> {
    await tx.commit();
    for (const change of tx.identityChanges.splice(0)) this.onIdentityChange(change.serviceId);
  }

  private async encryptFor(
    tx: StoreTransaction,
    serviceId: string,
    deviceId: number,
    payload: OutgoingPayload,
    options: SendOptions,
    certificate: SenderCertificate | null,
  ): Promise<OutgoingMessage> {
    const address = ProtocolAddress.new(serviceId, deviceId);
    const record = await tx.getSession("aci", serviceId, deviceId);
    if (!record) throw new SendError(`No session with ${address.toString()} after fetching its keys.`);
    const destinationRegistrationId = SessionRecord.deserialize(
      new Uint8Array(record),
    ).remoteRegistrationId();
    if (payload.kind === "plaintext") {
      return {
        type: ENVELOPE_TYPE_PLAINTEXT,
        destinationDeviceId: deviceId,
        destinationRegistrationId,
        content: toBase64(payload.plaintext.serialize()),
      };
    }
    const stores = tx.stores("aci");
    const local = ProtocolAddress.new(this.account.aci, this.account.deviceId);
    const ciphertext = await this.untrustedAsTyped(serviceId, () =>
      signalEncrypt(padContent(payload.content), address, local, stores.session, stores.identity),
    );
    if (certificate) {
      const usmc = UnidentifiedSenderMessageContent.new(
        ciphertext,
        certificate,
        options.contentHint ?? ContentHint.Default,
        options.groupId ? new Uint8Array(options.groupId) : null,
      );
      return {
        type: ENVELOPE_TYPE_UNIDENTIFIED_SENDER,
        destinationDeviceId: deviceId,
        destinationRegistrationId,
        content: toBase64(await sealedSenderEncrypt(usmc, address, stores.identity)),
      };
    }
    const type =
      ciphertext.type() === CiphertextMessageType.PreKey ? ENVELOPE_TYPE_PREKEY : ENVELOPE_TYPE_CIPHERTEXT;
    return {
      type,
      destinationDeviceId: deviceId,
      destinationRegistrationId,
      content: toBase64(ciphertext.serialize()),
    };
  }

  // Our identity store refuses a changed key of a contact the user verified; that must reach the
  // user as such, not as a generic protocol failure.
  private async untrustedAsTyped<T>(serviceId: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (isLibSignalError(error, ErrorCode.UntrustedIdentity)) throw new UntrustedIdentityError(serviceId);
      throw error;
    }
  }

  /** Fetches pre-key bundles (`*` for all devices) and starts sessions; returns the device ids. */
  private async establishSessions(
    tx: StoreTransaction,
    serviceId: string,
    device: string,
  ): Promise<number[]> {
    const path = `/v2/keys/${serviceId}/${device}`;
    const response = await chatRequest(this.connection, "GET", path);
    if (response.status === 404) {
      // No such account, or (for one device) the device is gone: there is nobody to start with.
      if (device === "*") throw new UnregisteredRecipientError(serviceId);
      return [];
    }
    const rateLimit = rateLimitErrorOf(serviceId, response);
    if (rateLimit) throw rateLimit;
    if (response.status !== 200) {
      throw new ServiceRequestError("GET", path, response.status, "pre-keys were not returned");
    }
    const bundle = response.json as ServerBundle;
    const identityKey = PublicKey.deserialize(fromBase64(bundle.identityKey));
    const stores = tx.stores("aci");
    const local = ProtocolAddress.new(this.account.aci, this.account.deviceId);
    const ids: number[] = [];
    for (const entry of bundle.devices) {
      const preKeyBundle = PreKeyBundle.new(
        entry.registrationId,
        entry.deviceId,
        entry.preKey ? entry.preKey.keyId : null,
        entry.preKey ? PublicKey.deserialize(fromBase64(entry.preKey.publicKey)) : null,
        entry.signedPreKey.keyId,
        PublicKey.deserialize(fromBase64(entry.signedPreKey.publicKey)),
        fromBase64(entry.signedPreKey.signature),
        identityKey,
        entry.pqPreKey.keyId,
        KEMPublicKey.deserialize(fromBase64(entry.pqPreKey.publicKey)),
        fromBase64(entry.pqPreKey.signature),
      );
      const address = ProtocolAddress.new(serviceId, entry.deviceId);
      await this.untrustedAsTyped(serviceId, () =>
        processPreKeyBundle(preKeyBundle, address, local, stores.session, stores.identity),
      );
      ids.push(entry.deviceId);
    }
    return ids;
  }
}
