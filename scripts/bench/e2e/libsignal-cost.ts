// The reference for the bridge's CPU per message: what libsignal itself spends, in this process,
// to seal one message for a contact (sealed sender over a Double Ratchet session) and to open it
// on the other side. Measured as CPU time (process.cpuUsage), like the bridge's /proc figures.
import { randomBytes, randomUUID } from "node:crypto";
import {
  Direction,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyBundle,
  PreKeyRecord,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SenderCertificate,
  ServerCertificate,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  SignalMessage,
  processPreKeyBundle,
  sealedSenderDecryptMessage,
  sealedSenderEncryptMessage,
  signalDecrypt,
  signalEncrypt,
} from "@signalapp/libsignal-client";

const MESSAGES = 1000;
/** About the padded Content of a short text (Signal pads to multiples of 160 bytes). */
const CONTENT_BYTES = 160;

class MemoryIdentities extends IdentityKeyStore {
  private readonly known = new Map<string, PublicKey>();
  constructor(
    private readonly own: IdentityKeyPair,
    private readonly registrationId: number,
  ) {
    super();
  }
  override async getIdentityKey(): Promise<PrivateKey> {
    return this.own.privateKey;
  }
  override async getLocalRegistrationId(): Promise<number> {
    return this.registrationId;
  }
  override async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const before = this.known.get(name.toString());
    this.known.set(name.toString(), key);
    return before && !before.equals(key) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }
  override async isTrustedIdentity(_name: ProtocolAddress, _key: PublicKey, _direction: Direction) {
    return true;
  }
  override async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    return this.known.get(name.toString()) ?? null;
  }
}

class MemorySessions extends SessionStore {
  private readonly sessions = new Map<string, Uint8Array<ArrayBuffer>>();
  override async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    // Serialized, as a store that writes to a database would keep it.
    this.sessions.set(name.toString(), record.serialize());
  }
  override async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const bytes = this.sessions.get(name.toString());
    return bytes ? SessionRecord.deserialize(bytes) : null;
  }
  override async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return (await Promise.all(addresses.map((a) => this.getSession(a)))).filter((s) => s !== null);
  }
}

/** The record stored under `id`; libsignal asks only for keys it was given, so a miss is a bug. */
function stored<T>(records: Map<number, T>, id: number, what: string): T {
  const record = records.get(id);
  if (record === undefined) throw new Error(`no ${what} ${id}`);
  return record;
}

class MemoryPreKeys extends PreKeyStore {
  readonly records = new Map<number, PreKeyRecord>();
  override async savePreKey(id: number, record: PreKeyRecord) {
    this.records.set(id, record);
  }
  override async getPreKey(id: number): Promise<PreKeyRecord> {
    return stored(this.records, id, "pre-key");
  }
  override async removePreKey(id: number) {
    this.records.delete(id);
  }
}

class MemorySignedPreKeys extends SignedPreKeyStore {
  readonly records = new Map<number, SignedPreKeyRecord>();
  override async saveSignedPreKey(id: number, record: SignedPreKeyRecord) {
    this.records.set(id, record);
  }
  override async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    return stored(this.records, id, "signed pre-key");
  }
}

class MemoryKyberPreKeys extends KyberPreKeyStore {
  readonly records = new Map<number, KyberPreKeyRecord>();
  override async saveKyberPreKey(id: number, record: KyberPreKeyRecord) {
    this.records.set(id, record);
  }
  override async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    return stored(this.records, id, "kyber pre-key");
  }
  override async markKyberPreKeyUsed() {}
}

interface Party {
  aci: string;
  address: ProtocolAddress;
  identity: IdentityKeyPair;
  identities: MemoryIdentities;
  sessions: MemorySessions;
  preKeys: MemoryPreKeys;
  signedPreKeys: MemorySignedPreKeys;
  kyberPreKeys: MemoryKyberPreKeys;
}

function party(): Party {
  const aci = randomUUID();
  const identity = IdentityKeyPair.generate();
  return {
    aci,
    address: ProtocolAddress.new(aci, 1),
    identity,
    identities: new MemoryIdentities(identity, 1 + (randomBytes(2).readUInt16BE() & 0x3fff)),
    sessions: new MemorySessions(),
    preKeys: new MemoryPreKeys(),
    signedPreKeys: new MemorySignedPreKeys(),
    kyberPreKeys: new MemoryKyberPreKeys(),
  };
}

/** `receiver`'s pre-key bundle, its private halves kept in its stores. */
async function bundleOf(receiver: Party): Promise<PreKeyBundle> {
  const preKey = PrivateKey.generate();
  await receiver.preKeys.savePreKey(1, PreKeyRecord.new(1, preKey.getPublicKey(), preKey));
  const signed = PrivateKey.generate();
  const signedSignature = receiver.identity.privateKey.sign(signed.getPublicKey().serialize());
  await receiver.signedPreKeys.saveSignedPreKey(
    1,
    SignedPreKeyRecord.new(1, Date.now(), signed.getPublicKey(), signed, signedSignature),
  );
  const kyber = KEMKeyPair.generate();
  const kyberSignature = receiver.identity.privateKey.sign(kyber.getPublicKey().serialize());
  await receiver.kyberPreKeys.saveKyberPreKey(1, KyberPreKeyRecord.new(1, Date.now(), kyber, kyberSignature));
  return PreKeyBundle.new(
    await receiver.identities.getLocalRegistrationId(),
    1,
    1,
    preKey.getPublicKey(),
    1,
    signed.getPublicKey(),
    signedSignature,
    receiver.identity.publicKey,
    1,
    kyber.getPublicKey(),
    kyberSignature,
  );
}

/** CPU milliseconds this process spent in `operation`. */
async function cpuOf(operation: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await operation();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

export interface LibsignalCost {
  /** CPU ms to seal one message for one device (sealed sender over a session). */
  encryptMs: number;
  /** CPU ms to open one such message. */
  decryptMs: number;
  messages: number;
}

/** Seals `MESSAGES` messages from one party to another, then opens them, in order. */
export async function measureLibsignalCost(): Promise<LibsignalCost> {
  const sender = party();
  const receiver = party();
  await processPreKeyBundle(
    await bundleOf(receiver),
    receiver.address,
    sender.address,
    sender.sessions,
    sender.identities,
  );
  const trustRoot = PrivateKey.generate();
  const serverKey = PrivateKey.generate();
  const serverCertificate = ServerCertificate.new(1, serverKey.getPublicKey(), trustRoot);
  const senderCertificate = SenderCertificate.new(
    sender.aci,
    null,
    1,
    sender.identity.publicKey,
    Date.now() + 86_400_000,
    serverCertificate,
    serverKey,
  );
  const content = new Uint8Array(randomBytes(CONTENT_BYTES));
  const sealed: Array<Uint8Array<ArrayBuffer>> = [];
  const seal = async (count: number) => {
    for (let i = 0; i < count; i++) {
      sealed.push(
        await sealedSenderEncryptMessage(
          content,
          receiver.address,
          senderCertificate,
          sender.sessions,
          sender.identities,
        ),
      );
    }
  };
  const open = async (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      await sealedSenderDecryptMessage(
        sealed[i]!,
        trustRoot.getPublicKey(),
        Date.now(),
        null,
        receiver.aci,
        1,
        receiver.sessions,
        receiver.identities,
        receiver.preKeys,
        receiver.signedPreKeys,
        receiver.kyberPreKeys,
      );
    }
  };
  // Warm-up: the first message carries the pre-key exchange; later ones are ordinary.
  const WARMUP = 20;
  await seal(WARMUP);
  await open(0, WARMUP);
  // A reply completes the exchange: from then on the sender's messages are plain ratchet messages.
  const reply = await signalEncrypt(
    content,
    sender.address,
    receiver.address,
    receiver.sessions,
    receiver.identities,
  );
  await signalDecrypt(
    SignalMessage.deserialize(reply.serialize()),
    receiver.address,
    sender.address,
    sender.sessions,
    sender.identities,
  );
  const encryptMs = await cpuOf(() => seal(MESSAGES));
  const decryptMs = await cpuOf(() => open(WARMUP, WARMUP + MESSAGES));
  return { encryptMs: encryptMs / MESSAGES, decryptMs: decryptMs / MESSAGES, messages: MESSAGES };
}
