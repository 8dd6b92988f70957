// Decrypts incoming envelopes and stores the results in the event buffer, in the same atomic
// commit as the protocol-state changes the decryption caused (one commit for the envelopes that
// arrived together). The caller acknowledges an envelope only after `receive`/`receiveBatch`
// resolved, so a crash never loses a message, and a redelivered envelope that is already buffered
// is recognised and not decrypted a second time.
import { createHash } from "node:crypto";
import {
  CiphertextMessageType,
  DecryptionErrorMessage,
  ErrorCode,
  LibSignalErrorBase,
  PlaintextContent,
  PreKeySignalMessage,
  ProtocolAddress,
  PublicKey,
  SenderKeyDistributionMessage,
  SessionRecord,
  SignalMessage,
  groupDecrypt,
  processSenderKeyDistributionMessage,
  sealedSenderDecryptToUsmc,
  signalDecrypt,
  signalDecryptPreKey,
  ServiceId,
  Pni,
} from "@signalapp/libsignal-client";
import { signalservice } from "../proto/generated/signal.js";
import { encodeBufferedItem, type BufferedItem } from "./buffered-item.js";
import { eventFromItem } from "./content-events.js";
import type { SignalSender } from "./events.js";
import { unpadContent } from "./padding.js";
import {
  StoreTransaction,
  withProtocolLock,
  type IdentityKeyChange,
  type ProtocolStores,
} from "./protocol-stores.js";
import type { AccountRecord, OwnIdentity, SignalStorage } from "./storage.js";

/** Ask the sender to resend: a DecryptionErrorMessage for the envelope we could not decrypt. */
export interface RetryRequest {
  sender: SignalSender;
  plaintext: PlaintextContent;
}

export interface ReceiveResult {
  /** The event-buffer key of the envelope. */
  key: string;
  /** The newly buffered item; null if the envelope was already buffered or needs no event. */
  item: BufferedItem | null;
  identityChanges: IdentityKeyChange[];
  retry: RetryRequest | null;
}

const EnvelopeType = signalservice.Envelope.Type;

/** A decryption failure that knows who sent the envelope (so a retry can be requested). */
class AttributedFailure extends Error {
  constructor(
    readonly sender: SignalSender | null,
    readonly original: { bytes: Uint8Array; type: CiphertextMessageType } | null,
    readonly reason: string,
  ) {
    super(reason);
  }
}

interface Decrypted {
  sender: SignalSender;
  sealed: boolean;
  plaintext: Uint8Array;
  /** Plaintext content (retry requests) is not padded. */
  padded: boolean;
}

function describeError(error: unknown): string {
  if (error instanceof LibSignalErrorBase) return `${ErrorCode[error.code] ?? "libsignal"}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function uuidString(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The event-buffer key: the server's guid, or a digest of the envelope when it has none. */
export function envelopeKey(envelope: signalservice.Envelope | null, raw: Uint8Array): string {
  if (envelope?.serverGuidBinary && envelope.serverGuidBinary.length === 16) {
    return `guid:${uuidString(envelope.serverGuidBinary)}`;
  }
  if (envelope?.serverGuid) return `guid:${envelope.serverGuid.toLowerCase()}`;
  return `sha256:${createHash("sha256").update(raw).digest("hex")}`;
}

// libsignal refuses to describe ciphertext it cannot parse; then there is nothing to ask for.
function retryRequest(
  sender: SignalSender,
  original: { bytes: Uint8Array; type: CiphertextMessageType },
  timestamp: number,
): RetryRequest | null {
  try {
    const message = DecryptionErrorMessage.forOriginal(
      new Uint8Array(original.bytes),
      original.type,
      timestamp,
      sender.deviceId,
    );
    return { sender, plaintext: PlaintextContent.from(message) };
  } catch {
    return null;
  }
}

export class EnvelopeReceiver {
  private readonly trustRoots: PublicKey[];

  constructor(
    private readonly storage: SignalStorage,
    private readonly account: AccountRecord,
    trustRoots: readonly string[],
  ) {
    this.trustRoots = trustRoots.map((root) =>
      PublicKey.deserialize(new Uint8Array(Buffer.from(root, "base64"))),
    );
  }

  async receive(raw: Uint8Array, receivedAt: number): Promise<ReceiveResult> {
    const [result] = await this.receiveBatch([{ raw, receivedAt }]);
    return result!;
  }

  /**
   * Receives envelopes in their order and stores them all in one commit (one fsync for a
   * backlog): each is decrypted on the protocol state the ones before it left, and what one
   * that fails to decrypt changed is dropped, as on its own. Nothing is stored if the commit
   * fails, so none of them may be acknowledged then.
   */
  async receiveBatch(
    envelopes: ReadonlyArray<{ raw: Uint8Array; receivedAt: number }>,
  ): Promise<ReceiveResult[]> {
    return withProtocolLock(this.storage, async () => {
      const batch = new StoreTransaction(this.storage, this.account);
      const keys = new Set<string>();
      const results: ReceiveResult[] = [];
      for (const { raw, receivedAt } of envelopes) {
        results.push(await this.receiveInto(batch, keys, raw, receivedAt));
      }
      // Only redeliveries of stored envelopes: nothing to commit.
      if (batch.writes.length > 0) await batch.commit();
      return results;
    });
  }

  /** One envelope of a batch: its writes are queued in `batch`; `keys` are the batch's so far. */
  private async receiveInto(
    batch: StoreTransaction,
    keys: Set<string>,
    raw: Uint8Array,
    receivedAt: number,
  ): Promise<ReceiveResult> {
    let envelope: signalservice.Envelope | null;
    try {
      envelope = signalservice.Envelope.decode(raw);
    } catch {
      envelope = null;
    }
    const key = envelopeKey(envelope, raw);
    if (keys.has(key) || (await this.storage.getEvent(key))) {
      return { key, item: null, identityChanges: [], retry: null };
    }
    keys.add(key);

    const timestamp = Number(envelope?.timestamp ?? 0);
    const serverTimestamp = Number(envelope?.serverTimestamp ?? 0) || receivedAt;
    if (!envelope) {
      const item: BufferedItem = {
        kind: "failed",
        sender: null,
        timestamp,
        serverTimestamp,
        reason: "envelope is not a valid Envelope",
      };
      batch.write({ type: "event", key, payload: encodeBufferedItem(item) });
      return { key, item, identityChanges: [], retry: null };
    }

    const tx = new StoreTransaction(this.storage, this.account, batch);
    try {
      const decrypted = await this.decrypt(tx, envelope, serverTimestamp);
      if (!decrypted) {
        // Nothing to keep (our own sealed-sender echo, a server receipt without content):
        // remember the key so a redelivery is acknowledged at once.
        batch.absorb(tx);
        batch.write({ type: "event", key, payload: new Uint8Array() });
        batch.write({ type: "event-done", key });
        return { key, item: null, identityChanges: tx.identityChanges, retry: null };
      }
      const content = decrypted.padded ? unpadContent(decrypted.plaintext) : decrypted.plaintext;
      const parsed = signalservice.Content.decode(content);
      await this.applyContentSideEffects(tx, parsed, decrypted.sender);
      const item: BufferedItem = {
        kind: "content",
        sender: decrypted.sender,
        timestamp,
        serverTimestamp,
        sealed: decrypted.sealed,
        content,
      };
      batch.absorb(tx);
      batch.write({ type: "event", key, payload: encodeBufferedItem(item) });
      const hasEvent = eventFromItem(key, item) !== null;
      if (!hasEvent) batch.write({ type: "event-done", key });
      return { key, item: hasEvent ? item : null, identityChanges: tx.identityChanges, retry: null };
    } catch (error) {
      const failure =
        error instanceof AttributedFailure
          ? error
          : new AttributedFailure(this.unsealedSender(envelope), null, describeError(error));
      const item: BufferedItem = {
        kind: "failed",
        sender: failure.sender,
        timestamp,
        serverTimestamp,
        reason: failure.reason,
      };
      // Protocol state from a failed decryption is discarded (tx is not absorbed); only the
      // failure is kept.
      batch.write({ type: "event", key, payload: encodeBufferedItem(item) });
      const original = failure.original ?? this.unsealedOriginal(envelope);
      const retry = failure.sender && original ? retryRequest(failure.sender, original, timestamp) : null;
      return { key, item, identityChanges: [], retry };
    }
  }

  private ours(envelope: signalservice.Envelope): OwnIdentity {
    const destination = envelope.destinationServiceIdBinary;
    if (destination && destination.length > 0) {
      try {
        return ServiceId.parseFromServiceIdBinary(new Uint8Array(destination)) instanceof Pni ? "pni" : "aci";
      } catch {
        return "aci";
      }
    }
    return envelope.destinationServiceId?.startsWith("PNI:") ? "pni" : "aci";
  }

  private unsealedSender(envelope: signalservice.Envelope): SignalSender | null {
    const binary = envelope.sourceServiceIdBinary;
    let aci: string | null = null;
    if (binary && binary.length > 0) {
      try {
        aci = ServiceId.parseFromServiceIdBinary(new Uint8Array(binary)).getServiceIdString();
      } catch {
        aci = null;
      }
    } else if (envelope.sourceServiceId) {
      aci = envelope.sourceServiceId.toLowerCase();
    }
    if (!aci || !envelope.sourceDevice) return null;
    return { aci, deviceId: envelope.sourceDevice };
  }

  private unsealedOriginal(
    envelope: signalservice.Envelope,
  ): { bytes: Uint8Array; type: CiphertextMessageType } | null {
    const content = envelope.content;
    if (!content || content.length === 0) return null;
    if (envelope.type === EnvelopeType.PREKEY_MESSAGE)
      return { bytes: content, type: CiphertextMessageType.PreKey };
    if (envelope.type === EnvelopeType.DOUBLE_RATCHET)
      return { bytes: content, type: CiphertextMessageType.Whisper };
    return null;
  }

  private async decrypt(
    tx: StoreTransaction,
    envelope: signalservice.Envelope,
    serverTimestamp: number,
  ): Promise<Decrypted | null> {
    const ours = this.ours(envelope);
    const stores = tx.stores(ours);
    const localServiceId = ours === "aci" ? this.account.aci : `PNI:${this.account.pni}`;
    const local = ProtocolAddress.new(localServiceId, this.account.deviceId);
    const content = new Uint8Array(envelope.content ?? new Uint8Array());

    switch (envelope.type) {
      case EnvelopeType.DOUBLE_RATCHET:
      case EnvelopeType.PREKEY_MESSAGE:
      case EnvelopeType.PLAINTEXT_CONTENT: {
        const sender = this.unsealedSender(envelope);
        if (!sender) throw new AttributedFailure(null, null, "envelope has no sender");
        const address = ProtocolAddress.new(sender.aci, sender.deviceId);
        if (envelope.type === EnvelopeType.PLAINTEXT_CONTENT) {
          return {
            sender,
            sealed: false,
            plaintext: PlaintextContent.deserialize(content).body(),
            padded: true,
          };
        }
        const plaintext =
          envelope.type === EnvelopeType.PREKEY_MESSAGE
            ? await decryptPreKeyMessage(content, address, local, stores)
            : await decryptWhisperMessage(content, address, local, stores);
        return { sender, sealed: false, plaintext, padded: true };
      }
      case EnvelopeType.UNIDENTIFIED_SENDER:
        return this.decryptSealed(content, serverTimestamp, ours, tx, local);
      case EnvelopeType.SERVER_DELIVERY_RECEIPT:
        return null;
      default:
        throw new AttributedFailure(
          this.unsealedSender(envelope),
          null,
          `unsupported envelope type ${envelope.type}`,
        );
    }
  }

  private async decryptSealed(
    content: Uint8Array<ArrayBuffer>,
    serverTimestamp: number,
    ours: OwnIdentity,
    tx: StoreTransaction,
    local: ProtocolAddress,
  ): Promise<Decrypted | null> {
    const stores = tx.stores(ours);
    const usmc = await sealedSenderDecryptToUsmc(content, stores.identity);
    const certificate = usmc.senderCertificate();
    const senderAci = certificate.senderAci()?.getServiceIdString() ?? certificate.senderUuid().toLowerCase();
    const sender: SignalSender = { aci: senderAci, deviceId: certificate.senderDeviceId() };
    if (!certificate.validateWithTrustRoots(this.trustRoots, serverTimestamp)) {
      // An unverifiable certificate means we cannot trust the claimed sender: no retry request.
      throw new AttributedFailure(
        null,
        null,
        "sealed-sender certificate is not signed by a trusted server or expired",
      );
    }
    if (sender.aci === this.account.aci && sender.deviceId === this.account.deviceId) return null;
    const address = ProtocolAddress.new(sender.aci, sender.deviceId);
    const inner = usmc.contents();
    const type = usmc.msgType() as CiphertextMessageType;
    try {
      switch (type) {
        case CiphertextMessageType.PreKey:
          return {
            sender,
            sealed: true,
            padded: true,
            plaintext: await decryptPreKeyMessage(inner, address, local, stores),
          };
        case CiphertextMessageType.Whisper:
          return {
            sender,
            sealed: true,
            padded: true,
            plaintext: await decryptWhisperMessage(inner, address, local, stores),
          };
        case CiphertextMessageType.SenderKey:
          return {
            sender,
            sealed: true,
            padded: true,
            plaintext: await groupDecrypt(address, stores.senderKey, inner),
          };
        case CiphertextMessageType.Plaintext:
          return {
            sender,
            sealed: true,
            padded: true,
            plaintext: PlaintextContent.deserialize(inner).body(),
          };
        default:
          throw new Error(`unsupported sealed message type ${String(type)}`);
      }
    } catch (error) {
      throw new AttributedFailure(sender, { bytes: inner, type }, describeError(error));
    }
  }

  /** State changes a Content implies beyond the event: sender keys, profile keys, session resets. */
  private async applyContentSideEffects(
    tx: StoreTransaction,
    content: signalservice.Content,
    sender: SignalSender,
  ): Promise<void> {
    const address = ProtocolAddress.new(sender.aci, sender.deviceId);
    if (content.senderKeyDistributionMessage && content.senderKeyDistributionMessage.length > 0) {
      const skdm = SenderKeyDistributionMessage.deserialize(
        new Uint8Array(content.senderKeyDistributionMessage),
      );
      await processSenderKeyDistributionMessage(address, skdm, tx.stores("aci").senderKey);
    }
    if (content.decryptionErrorMessage && content.decryptionErrorMessage.length > 0) {
      // The sender could not decrypt something we sent: archive the session so our next
      // message starts a fresh one.
      const request = DecryptionErrorMessage.deserialize(new Uint8Array(content.decryptionErrorMessage));
      const record = await tx.getSession("aci", sender.aci, sender.deviceId);
      if (record) {
        const session = SessionRecord.deserialize(new Uint8Array(record));
        const ratchetKey = request.ratchetKey();
        if (!ratchetKey || session.currentRatchetKeyMatches(ratchetKey)) {
          session.archiveCurrentState();
          tx.write({
            type: "session",
            ours: "aci",
            serviceId: sender.aci,
            deviceId: sender.deviceId,
            record: session.serialize(),
          });
        }
      }
    }
    const profileKey = content.dataMessage?.profileKey;
    if (profileKey && profileKey.length === 32) {
      const existing = await tx.storage.getRecipient(sender.aci);
      const known = existing?.profileKey;
      if (!known || !Buffer.from(known).equals(Buffer.from(profileKey))) {
        tx.write({
          type: "recipient",
          recipient: {
            aci: sender.aci,
            pni: existing?.pni ?? null,
            number: existing?.number ?? null,
            profileKey,
            profileName: existing?.profileName ?? null,
            contactName: existing?.contactName ?? null,
          },
        });
      }
    }
  }
}

/** A 1:1 message that starts a session (it carries the pre-keys it used). */
function decryptPreKeyMessage(
  bytes: Uint8Array<ArrayBuffer>,
  sender: ProtocolAddress,
  local: ProtocolAddress,
  stores: ProtocolStores,
): Promise<Uint8Array> {
  return signalDecryptPreKey(
    PreKeySignalMessage.deserialize(bytes),
    sender,
    local,
    stores.session,
    stores.identity,
    stores.preKey,
    stores.signedPreKey,
    stores.kyberPreKey,
  );
}

/** A 1:1 message on an established session. */
function decryptWhisperMessage(
  bytes: Uint8Array<ArrayBuffer>,
  sender: ProtocolAddress,
  local: ProtocolAddress,
  stores: ProtocolStores,
): Promise<Uint8Array> {
  return signalDecrypt(SignalMessage.deserialize(bytes), sender, local, stores.session, stores.identity);
}
