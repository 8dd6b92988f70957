// Storage the Signal client needs for ONE linked account. `store/` implements it (SQLite today).
//
// Why writes come as batches: libsignal's store callbacks are async, while a better-sqlite3
// transaction cannot span an await. The client therefore collects every write of one
// decrypt/encrypt (and of one link or key refill) in memory and hands them over as one
// `StorageWrite[]`, which `commit` must apply atomically: all of them or none. A decrypt's batch
// carries the event-buffer insert too, so protocol state never advances without the decrypted
// content being kept (and vice versa).
//
// Records are opaque bytes serialized by libsignal (or by the client); the store only has to
// keep them, encrypted at rest where marked SECRET. Reads are async so that a networked
// database can implement this later.

/** Which of our two identities a record belongs to. */
export type OwnIdentity = "aci" | "pni";

/** Everything that identifies the linked device. SECRET: password, identity key pairs, profileKey, masterKey, accountEntropyPool, mediaRootBackupKey, ephemeralBackupKey. */
export interface AccountRecord {
  /** Our ACI as a lowercase UUID string. */
  aci: string;
  /** Our PNI as a lowercase UUID string, without the `PNI:` prefix. */
  pni: string;
  /** Our phone number in E.164, if the account has one. */
  number: string | null;
  /** Device id the server assigned to this linked device. */
  deviceId: number;
  /** Password of this device for the chat service (Basic auth `<aci>.<deviceId>:<password>`). */
  password: string;
  registrationId: number;
  pniRegistrationId: number;
  /** `IdentityKeyPair.serialize()` of our ACI identity. */
  aciIdentityKeyPair: Uint8Array;
  /** `IdentityKeyPair.serialize()` of our PNI identity. */
  pniIdentityKeyPair: Uint8Array;
  profileKey: Uint8Array | null;
  masterKey: Uint8Array | null;
  accountEntropyPool: string | null;
  mediaRootBackupKey: Uint8Array | null;
  /**
   * The key of the message history transfer the phone offered when linking (32 bytes), until the
   * history is fetched; null when none was offered.
   */
  ephemeralBackupKey: Uint8Array | null;
  /** The name this device was linked with (shown in the phone's device list). */
  deviceName: string;
  /** Next ids to use when generating keys, per identity (ids are 24-bit and wrap). */
  keyIds: Record<OwnIdentity, KeyIdState>;
  /** Milliseconds since the epoch when the signed pre-keys were last rotated. */
  signedPreKeyRotatedAt: number;
}

/** Counters for generating pre-key ids. */
export interface KeyIdState {
  nextPreKeyId: number;
  nextSignedPreKeyId: number;
  nextKyberPreKeyId: number;
}

/** Whether we checked a contact's identity key out of band. */
export type IdentityVerification = "default" | "verified" | "unverified";

/** A contact's identity key as we know it (shared by all their devices). */
export interface IdentityRecord {
  /** `PublicKey.serialize()` of their identity key. */
  publicKey: Uint8Array;
  verification: IdentityVerification;
  /** Milliseconds since the epoch when this key was first seen. */
  firstSeenAt: number;
}

/** A contact (or ourselves) as far as the Signal client knows them. profileKey is SECRET. */
export interface RecipientRecord {
  /** Lowercase UUID string; the key of the record. */
  aci: string;
  pni: string | null;
  number: string | null;
  profileKey: Uint8Array | null;
  profileName: string | null;
  contactName: string | null;
}

/** A member device that holds our sender key of a group, as it was when it got the key. */
export interface SenderKeyHolder {
  serviceId: string;
  deviceId: number;
  registrationId: number;
}

/**
 * Our sender key for one group: its distribution id and the member devices we gave it to.
 * A device missing here (or with another registration id) must get the key before it can read
 * our next group message; a holder who left the group means the key must be replaced.
 */
export interface SenderKeyDistributionRecord {
  /** Base64 group identifier; the key of the record. */
  groupId: string;
  /** UUID naming our sender key (the record itself is a `sender-key` write under our address). */
  distributionId: string;
  /** Milliseconds since the epoch when this sender key was created. */
  createdAt: number;
  /** Sealed at rest: it tells who is in our groups. */
  sharedWith: SenderKeyHolder[];
}

/** Processing state of a buffered incoming event. */
export type BufferedEventState = "pending" | "done";

/** One decrypted (or undecryptable) incoming envelope kept until the consumer has handled it. */
export interface BufferedEvent {
  /** Identifies the envelope: the server guid, or a digest of the envelope when it has none. */
  key: string;
  /** Opaque bytes written by the client (decrypted content and metadata). SECRET. */
  payload: Uint8Array;
  state: BufferedEventState;
}

/** One write of a batch. SECRET records are noted in the field comments. */
export type StorageWrite =
  /** Create or replace the account record. */
  | { type: "account"; account: AccountRecord }
  /** Create or replace a contact's identity key (keyed by service id, `PNI:` prefix kept). */
  | { type: "identity"; serviceId: string; identity: IdentityRecord }
  /** Create or replace the session with one device; record is `SessionRecord.serialize()`. SECRET. */
  | { type: "session"; ours: OwnIdentity; serviceId: string; deviceId: number; record: Uint8Array }
  /** Delete the session with one device (no error if absent). */
  | { type: "session-delete"; ours: OwnIdentity; serviceId: string; deviceId: number }
  /** Create or replace a one-time EC pre-key; record is `PreKeyRecord.serialize()`. SECRET. */
  | { type: "pre-key"; ours: OwnIdentity; id: number; record: Uint8Array }
  /** Delete a one-time EC pre-key (no error if absent). */
  | { type: "pre-key-delete"; ours: OwnIdentity; id: number }
  /** Create or replace a signed pre-key; record is `SignedPreKeyRecord.serialize()`. SECRET. */
  | { type: "signed-pre-key"; ours: OwnIdentity; id: number; record: Uint8Array }
  /** Delete a signed pre-key (no error if absent). */
  | { type: "signed-pre-key-delete"; ours: OwnIdentity; id: number }
  /** Create or replace a Kyber pre-key; record is `KyberPreKeyRecord.serialize()`. SECRET. */
  | { type: "kyber-pre-key"; ours: OwnIdentity; id: number; record: Uint8Array; lastResort: boolean }
  /** Delete a Kyber pre-key and its recorded base keys (no error if absent). */
  | { type: "kyber-pre-key-delete"; ours: OwnIdentity; id: number }
  /** Remember that a last-resort Kyber key was used with this signed pre-key id and base key. */
  | {
      type: "kyber-base-key-used";
      ours: OwnIdentity;
      id: number;
      signedPreKeyId: number;
      baseKey: Uint8Array;
    }
  /** Create or replace a sender key; record is `SenderKeyRecord.serialize()`. SECRET. */
  | { type: "sender-key"; serviceId: string; deviceId: number; distributionId: string; record: Uint8Array }
  /** Create or replace our sender-key distribution state for a group (keyed by group id). */
  | { type: "sender-key-distribution"; record: SenderKeyDistributionRecord }
  /** Create or replace a recipient (keyed by ACI). */
  | { type: "recipient"; recipient: RecipientRecord }
  /**
   * Create or replace the last known state of a group, keyed by its base64 identifier; `record`
   * is the client's serialization of the group. SECRET: it holds the group's master key.
   */
  | { type: "group"; groupId: string; record: Uint8Array }
  /** Insert a pending buffered event; if one with the same key exists, leave it unchanged. */
  | { type: "event"; key: string; payload: Uint8Array }
  /** Mark a buffered event done; the store may empty its payload but must keep its key for a week at least. */
  | { type: "event-done"; key: string };

/** A stored Kyber pre-key. */
export interface KyberPreKeyEntry {
  record: Uint8Array;
  lastResort: boolean;
}

/** The storage of one linked account. */
export interface SignalStorage {
  /** Applies all writes in order, atomically (all or none); resolves once durable. */
  commit(writes: readonly StorageWrite[]): Promise<void>;

  /** The account record, or null before linking finished. */
  getAccount(): Promise<AccountRecord | null>;

  /** A contact's identity key, or null if never seen. */
  getIdentity(serviceId: string): Promise<IdentityRecord | null>;
  /** The session with one device, or null. */
  getSession(ours: OwnIdentity, serviceId: string, deviceId: number): Promise<Uint8Array | null>;
  /** Device ids we hold a session with for this service id, ascending. */
  listSessionDevices(ours: OwnIdentity, serviceId: string): Promise<number[]>;
  /** A one-time EC pre-key, or null if unknown or already used. */
  getPreKey(ours: OwnIdentity, id: number): Promise<Uint8Array | null>;
  /** A signed pre-key, or null. */
  getSignedPreKey(ours: OwnIdentity, id: number): Promise<Uint8Array | null>;
  /** Ids of all signed pre-keys we keep, oldest first (ids wrap, so not by value). */
  listSignedPreKeyIds(ours: OwnIdentity): Promise<number[]>;
  /** A Kyber pre-key, or null. */
  getKyberPreKey(ours: OwnIdentity, id: number): Promise<KyberPreKeyEntry | null>;
  /** Ids of all last-resort Kyber pre-keys we keep, oldest first (ids wrap, so not by value). */
  listLastResortKyberPreKeyIds(ours: OwnIdentity): Promise<number[]>;
  /** Whether `kyber-base-key-used` was committed for exactly this triple. */
  isKyberBaseKeyUsed(
    ours: OwnIdentity,
    id: number,
    signedPreKeyId: number,
    baseKey: Uint8Array,
  ): Promise<boolean>;
  /** A sender key, or null. */
  getSenderKey(serviceId: string, deviceId: number, distributionId: string): Promise<Uint8Array | null>;

  /** Our sender-key distribution state for a group, or null if we never sent to it with a sender key. */
  getSenderKeyDistribution(groupId: string): Promise<SenderKeyDistributionRecord | null>;

  /** A recipient by ACI, or null. */
  getRecipient(aci: string): Promise<RecipientRecord | null>;
  /** Every recipient of the account, in no particular order (for contact lists shown to the user). */
  listRecipients(): Promise<RecipientRecord[]>;

  /** The last stored state of a group (see the `group` write), or null if none was stored. */
  getGroup(groupId: string): Promise<Uint8Array | null>;

  /** A buffered event by key (pending or done; a done one may have an empty payload), or null if unknown. */
  getEvent(key: string): Promise<BufferedEvent | null>;
  /** All pending buffered events in the order they were inserted. */
  listPendingEvents(): Promise<BufferedEvent[]>;
}
