// libsignal's protocol stores on top of SignalStorage, collecting writes instead of applying them.
//
// One StoreTransaction spans one protocol operation (a decrypt, an encrypt, a key refill). Reads
// see the transaction's own earlier writes; nothing reaches storage until `commit`, which hands
// every write over as one atomic batch (see storage.ts for why).
import {
  Direction,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyRecord,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SenderKeyRecord,
  SenderKeyStore,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  type Uuid,
} from "@signalapp/libsignal-client";
import type {
  AccountRecord,
  IdentityRecord,
  KyberPreKeyEntry,
  OwnIdentity,
  SignalStorage,
  StorageWrite,
} from "./storage.js";
import { SignalClientError } from "./errors.js";

/** A contact whose identity key changed during the transaction. */
export interface IdentityKeyChange {
  serviceId: string;
}

function bytes(value: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(value);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

const locks = new WeakMap<SignalStorage, Promise<unknown>>();

/**
 * Runs `operation` while no other protocol operation on the same storage runs. Transactions
 * read committed state when they start and overwrite it when they commit, so a decrypt and an
 * encrypt touching the same session must not overlap or one would lose the other's update.
 */
export async function withProtocolLock<T>(storage: SignalStorage, operation: () => Promise<T>): Promise<T> {
  const previous = locks.get(storage) ?? Promise.resolve();
  const result = previous.then(operation, operation);
  const settled = result.catch(() => undefined);
  locks.set(storage, settled);
  try {
    return await result;
  } finally {
    if (locks.get(storage) === settled) locks.delete(storage);
  }
}

type OverlayValue = Uint8Array | IdentityRecord | KyberPreKeyEntry | null;

/** The record a write replaces, for the writes of protocol state read back through a transaction. */
function overlayKeyOf(entry: StorageWrite): string | undefined {
  switch (entry.type) {
    case "identity":
      return `identity:${entry.serviceId}`;
    case "session":
    case "session-delete":
      return `session:${entry.ours}:${entry.serviceId}.${entry.deviceId}`;
    case "pre-key":
    case "pre-key-delete":
      return `pre-key:${entry.ours}:${entry.id}`;
    case "signed-pre-key":
    case "signed-pre-key-delete":
      return `signed-pre-key:${entry.ours}:${entry.id}`;
    case "kyber-pre-key":
    case "kyber-pre-key-delete":
      return `kyber-pre-key:${entry.ours}:${entry.id}`;
    case "sender-key":
      return `sender-key:${entry.serviceId}.${entry.deviceId}:${entry.distributionId}`;
    default:
      return undefined;
  }
}

/** What a read through the transaction sees after `entry` (null: deleted). */
function overlayValueOf(entry: StorageWrite): OverlayValue {
  switch (entry.type) {
    case "identity":
      return entry.identity;
    case "session":
    case "pre-key":
    case "signed-pre-key":
    case "sender-key":
      return entry.record;
    case "kyber-pre-key":
      return { record: entry.record, lastResort: entry.lastResort };
    default:
      return null;
  }
}

export class StoreTransaction {
  readonly writes: StorageWrite[] = [];
  readonly identityChanges: IdentityKeyChange[] = [];
  private readonly overlay = new Map<string, OverlayValue>();
  /** Where in `writes` each record was last written. */
  private readonly lastWriteOf = new Map<string, number>();
  /** Writes a later write of the same record overrides: not made at the commit. */
  private readonly overridden = new Set<number>();

  /**
   * With a `parent`, reads see the parent's queued writes (and the parent's parent's, ...)
   * before the storage: a step of a batch whose writes join the batch only if it succeeds
   * (see absorb).
   */
  constructor(
    readonly storage: SignalStorage,
    readonly account: AccountRecord,
    private readonly parent?: StoreTransaction,
  ) {}

  /** Queues a write and makes it visible to later reads of this transaction. */
  write(entry: StorageWrite): void {
    this.writes.push(entry);
    const key = overlayKeyOf(entry);
    if (key === undefined) return;
    this.overlay.set(key, overlayValueOf(entry));
    const earlier = this.lastWriteOf.get(key);
    if (earlier !== undefined) this.overridden.add(earlier);
    this.lastWriteOf.set(key, this.writes.length - 1);
  }

  /** Queues `child`'s writes here, in their order (a step of this batch that succeeded). */
  absorb(child: StoreTransaction): void {
    for (const entry of child.writes) this.write(entry);
  }

  /**
   * Commits all queued writes plus `extra` as one atomic batch. Of several writes to one record
   * (a session a batch of envelopes advanced each time) only the last is made: it alone decides
   * what is stored.
   */
  async commit(extra: readonly StorageWrite[] = []): Promise<void> {
    const made =
      this.overridden.size === 0
        ? this.writes
        : this.writes.filter((_, index) => !this.overridden.has(index));
    await this.storage.commit([...made, ...extra]);
    this.writes.length = 0;
    this.lastWriteOf.clear();
    this.overridden.clear();
  }

  private async read<T>(key: string, load: () => Promise<T | null>): Promise<T | null> {
    if (this.overlay.has(key)) return this.overlay.get(key) as T | null;
    return this.parent ? this.parent.read(key, load) : load();
  }

  async getIdentity(serviceId: string): Promise<IdentityRecord | null> {
    return this.read(`identity:${serviceId}`, () => this.storage.getIdentity(serviceId));
  }

  async getSession(ours: OwnIdentity, serviceId: string, deviceId: number): Promise<Uint8Array | null> {
    return this.read(`session:${ours}:${serviceId}.${deviceId}`, () =>
      this.storage.getSession(ours, serviceId, deviceId),
    );
  }

  async getPreKey(ours: OwnIdentity, id: number): Promise<Uint8Array | null> {
    return this.read(`pre-key:${ours}:${id}`, () => this.storage.getPreKey(ours, id));
  }

  async getSignedPreKey(ours: OwnIdentity, id: number): Promise<Uint8Array | null> {
    return this.read(`signed-pre-key:${ours}:${id}`, () => this.storage.getSignedPreKey(ours, id));
  }

  async getKyberPreKey(ours: OwnIdentity, id: number): Promise<KyberPreKeyEntry | null> {
    return this.read(`kyber-pre-key:${ours}:${id}`, () => this.storage.getKyberPreKey(ours, id));
  }

  async getSenderKey(
    serviceId: string,
    deviceId: number,
    distributionId: string,
  ): Promise<Uint8Array | null> {
    return this.read(`sender-key:${serviceId}.${deviceId}:${distributionId}`, () =>
      this.storage.getSenderKey(serviceId, deviceId, distributionId),
    );
  }

  identityKeyPair(ours: OwnIdentity): IdentityKeyPair {
    const serialized = ours === "aci" ? this.account.aciIdentityKeyPair : this.account.pniIdentityKeyPair;
    return IdentityKeyPair.deserialize(bytes(serialized));
  }

  /** The six libsignal stores, acting for our ACI or our PNI. */
  stores(ours: OwnIdentity): ProtocolStores {
    return {
      identity: new TransactionIdentityStore(this, ours),
      session: new TransactionSessionStore(this, ours),
      preKey: new TransactionPreKeyStore(this, ours),
      signedPreKey: new TransactionSignedPreKeyStore(this, ours),
      kyberPreKey: new TransactionKyberPreKeyStore(this, ours),
      senderKey: new TransactionSenderKeyStore(this),
    };
  }
}

export interface ProtocolStores {
  identity: IdentityKeyStore;
  session: SessionStore;
  preKey: PreKeyStore;
  signedPreKey: SignedPreKeyStore;
  kyberPreKey: KyberPreKeyStore;
  senderKey: SenderKeyStore;
}

class MissingKeyError extends SignalClientError {}

class TransactionIdentityStore extends IdentityKeyStore {
  constructor(
    private readonly tx: StoreTransaction,
    private readonly ours: OwnIdentity,
  ) {
    super();
  }

  override async getIdentityKey(): Promise<PrivateKey> {
    return this.tx.identityKeyPair(this.ours).privateKey;
  }

  override async getLocalRegistrationId(): Promise<number> {
    return this.ours === "aci" ? this.tx.account.registrationId : this.tx.account.pniRegistrationId;
  }

  override async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const serviceId = name.name();
    const existing = await this.tx.getIdentity(serviceId);
    const serialized = key.serialize();
    if (existing && sameBytes(existing.publicKey, serialized)) return IdentityChange.NewOrUnchanged;
    this.tx.write({
      type: "identity",
      serviceId,
      identity: { publicKey: serialized, verification: "default", firstSeenAt: Date.now() },
    });
    if (!existing) return IdentityChange.NewOrUnchanged;
    this.tx.identityChanges.push({ serviceId });
    return IdentityChange.ReplacedExisting;
  }

  // Incoming messages are always accepted (the sender proved possession of the key); an outgoing
  // message to a contact whose verified key changed is refused until the user re-verifies.
  override async isTrustedIdentity(
    name: ProtocolAddress,
    key: PublicKey,
    direction: Direction,
  ): Promise<boolean> {
    if (direction === Direction.Receiving) return true;
    const existing = await this.tx.getIdentity(name.name());
    if (!existing || existing.verification !== "verified") return true;
    return sameBytes(existing.publicKey, key.serialize());
  }

  override async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    const existing = await this.tx.getIdentity(name.name());
    return existing ? PublicKey.deserialize(bytes(existing.publicKey)) : null;
  }
}

class TransactionSessionStore extends SessionStore {
  constructor(
    private readonly tx: StoreTransaction,
    private readonly ours: OwnIdentity,
  ) {
    super();
  }

  override async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.tx.write({
      type: "session",
      ours: this.ours,
      serviceId: name.name(),
      deviceId: name.deviceId(),
      record: record.serialize(),
    });
  }

  override async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const record = await this.tx.getSession(this.ours, name.name(), name.deviceId());
    return record ? SessionRecord.deserialize(bytes(record)) : null;
  }

  override async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    const records: SessionRecord[] = [];
    for (const address of addresses) {
      const record = await this.getSession(address);
      if (!record) throw new MissingKeyError(`No session with ${address.toString()}.`);
      records.push(record);
    }
    return records;
  }
}

class TransactionPreKeyStore extends PreKeyStore {
  constructor(
    private readonly tx: StoreTransaction,
    private readonly ours: OwnIdentity,
  ) {
    super();
  }

  override async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.tx.write({ type: "pre-key", ours: this.ours, id, record: record.serialize() });
  }

  override async getPreKey(id: number): Promise<PreKeyRecord> {
    const record = await this.tx.getPreKey(this.ours, id);
    if (!record) throw new MissingKeyError(`One-time pre-key ${id} (${this.ours}) is unknown or used.`);
    return PreKeyRecord.deserialize(bytes(record));
  }

  override async removePreKey(id: number): Promise<void> {
    this.tx.write({ type: "pre-key-delete", ours: this.ours, id });
  }
}

class TransactionSignedPreKeyStore extends SignedPreKeyStore {
  constructor(
    private readonly tx: StoreTransaction,
    private readonly ours: OwnIdentity,
  ) {
    super();
  }

  override async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.tx.write({ type: "signed-pre-key", ours: this.ours, id, record: record.serialize() });
  }

  override async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const record = await this.tx.getSignedPreKey(this.ours, id);
    if (!record) throw new MissingKeyError(`Signed pre-key ${id} (${this.ours}) is unknown.`);
    return SignedPreKeyRecord.deserialize(bytes(record));
  }
}

class TransactionKyberPreKeyStore extends KyberPreKeyStore {
  constructor(
    private readonly tx: StoreTransaction,
    private readonly ours: OwnIdentity,
  ) {
    super();
  }

  override async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.tx.write({
      type: "kyber-pre-key",
      ours: this.ours,
      id,
      record: record.serialize(),
      lastResort: false,
    });
  }

  override async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const entry = await this.tx.getKyberPreKey(this.ours, id);
    if (!entry) throw new MissingKeyError(`Kyber pre-key ${id} (${this.ours}) is unknown or used.`);
    return KyberPreKeyRecord.deserialize(bytes(entry.record));
  }

  // One-time Kyber keys are deleted once used; a last-resort key stays, but each
  // (signed pre-key, base key) pair may use it only once, or a replayed message would be accepted.
  override async markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
    const entry = await this.tx.getKyberPreKey(this.ours, id);
    if (!entry) return;
    if (!entry.lastResort) {
      this.tx.write({ type: "kyber-pre-key-delete", ours: this.ours, id });
      return;
    }
    const serializedBaseKey = baseKey.serialize();
    if (await this.tx.storage.isKyberBaseKeyUsed(this.ours, id, signedPreKeyId, serializedBaseKey)) {
      throw new MissingKeyError(
        `Kyber pre-key ${id} was already used with this base key (replayed message).`,
      );
    }
    this.tx.write({
      type: "kyber-base-key-used",
      ours: this.ours,
      id,
      signedPreKeyId,
      baseKey: serializedBaseKey,
    });
  }
}

class TransactionSenderKeyStore extends SenderKeyStore {
  constructor(private readonly tx: StoreTransaction) {
    super();
  }

  override async saveSenderKey(
    sender: ProtocolAddress,
    distributionId: Uuid,
    record: SenderKeyRecord,
  ): Promise<void> {
    this.tx.write({
      type: "sender-key",
      serviceId: sender.name(),
      deviceId: sender.deviceId(),
      distributionId: distributionId.toString(),
      record: record.serialize(),
    });
  }

  override async getSenderKey(
    sender: ProtocolAddress,
    distributionId: Uuid,
  ): Promise<SenderKeyRecord | null> {
    const record = await this.tx.getSenderKey(sender.name(), sender.deviceId(), distributionId.toString());
    return record ? SenderKeyRecord.deserialize(bytes(record)) : null;
  }
}
