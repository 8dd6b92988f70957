// Reads the account's storage service state (contacts, groups, account settings) and follows
// its versions. The reader keeps the records it decrypted, so a later read fetches only the
// records that changed: the phone gives every new or edited record a new id.
import type { ChatRequester } from "../chat-api.js";
import type { SignalEnvironment } from "../environment.js";
import { signalservice } from "../../proto/generated/signal.js";
import {
  fetchManifest,
  fetchStorageCredentials,
  readStorageItems,
  StorageCredentialsRejectedError,
  type StorageCredentials,
} from "./storage-service-api.js";
import {
  accountMasterKey,
  decryptStorageValue,
  deriveItemKey,
  deriveManifestKey,
  deriveStorageServiceKey,
  StorageServiceError,
  type AccountKeyMaterial,
} from "./storage-keys.js";
import {
  accountFromRecord,
  contactFromRecord,
  groupFromRecord,
  type StorageAccount,
  type StorageContact,
  type StorageGroup,
} from "./storage-records.js";

const RecordType = signalservice.ManifestRecord.Identifier.Type;

/** Everything this client uses from one manifest version. */
export interface StorageServiceSnapshot {
  version: number;
  contacts: StorageContact[];
  groups: StorageGroup[];
  account: StorageAccount | null;
}

export interface StorageServiceReaderOptions {
  environment: SignalEnvironment;
  /** An authenticated chat connection of the account (storage credentials come from it). */
  chat: ChatRequester;
  keys: AccountKeyMaterial;
}

interface KnownRecord {
  type: signalservice.ManifestRecord.Identifier.Type;
  record: signalservice.StorageRecord;
}

function idKey(rawId: Uint8Array): string {
  return Buffer.from(rawId).toString("base64");
}

export class StorageServiceReader {
  private readonly storageServiceKey: Uint8Array;
  private credentials: StorageCredentials | null = null;
  private known = new Map<string, KnownRecord>();
  private knownVersion: number | null = null;

  constructor(private readonly options: StorageServiceReaderOptions) {
    this.storageServiceKey = deriveStorageServiceKey(accountMasterKey(options.keys));
  }

  /** The manifest version of the last read, or null before the first one. */
  get version(): number | null {
    return this.knownVersion;
  }

  /** The current state; null when the account has never written its storage. */
  async read(): Promise<StorageServiceSnapshot | null> {
    const manifest = await this.withCredentials((credentials) =>
      fetchManifest(this.options.environment, credentials),
    );
    if (!manifest) return null;
    return this.apply(manifest);
  }

  /**
   * The state if it changed since the last read (call it when the phone says "fetch latest
   * storage manifest"), else null. Before any read this is the same as `read()`.
   */
  async readIfChanged(): Promise<StorageServiceSnapshot | null> {
    if (this.knownVersion === null) return this.read();
    const after = this.knownVersion;
    const manifest = await this.withCredentials((credentials) =>
      fetchManifest(this.options.environment, credentials, after),
    );
    if (!manifest || manifest.version <= after) return null;
    return this.apply(manifest);
  }

  private async apply(manifest: signalservice.StorageManifest): Promise<StorageServiceSnapshot> {
    const version = manifest.version;
    const plaintext = decryptStorageValue(
      deriveManifestKey(this.storageServiceKey, version),
      manifest.value,
      `manifest (version ${version})`,
    );
    const record = signalservice.ManifestRecord.decode(plaintext);
    // The version inside the ciphertext must match: a server replaying an old manifest under a new
    // version number would otherwise make us forget newer records.
    if (record.version !== version) {
      throw new StorageServiceError(
        `The storage manifest claims version ${version} but holds version ${record.version}; not using it.`,
      );
    }
    const recordIkm = record.recordIkm.length > 0 ? record.recordIkm : null;
    const next = new Map<string, KnownRecord>();
    const missing: Array<{ rawId: Uint8Array; type: KnownRecord["type"] }> = [];
    for (const identifier of record.identifiers) {
      const rawId = identifier.raw ?? new Uint8Array();
      const type = identifier.type ?? RecordType.UNKNOWN;
      if (!isUsedType(type) || rawId.length === 0) continue;
      const known = this.known.get(idKey(rawId));
      if (known) next.set(idKey(rawId), known);
      else missing.push({ rawId, type });
    }
    if (missing.length > 0) {
      const types = new Map(missing.map((entry) => [idKey(entry.rawId), entry.type]));
      const items = await this.withCredentials((credentials) =>
        readStorageItems(
          this.options.environment,
          credentials,
          missing.map((entry) => entry.rawId),
        ),
      );
      for (const item of items) {
        if (!item.key || !item.value) continue;
        const type = types.get(idKey(item.key));
        if (type === undefined) continue;
        const key = deriveItemKey(this.storageServiceKey, recordIkm, item.key);
        const decoded = signalservice.StorageRecord.decode(
          decryptStorageValue(key, item.value, `storage record of type ${RecordType[type] ?? type}`),
        );
        next.set(idKey(item.key), { type, record: decoded });
      }
    }
    this.known = next;
    this.knownVersion = version;
    return this.snapshot(version);
  }

  private snapshot(version: number): StorageServiceSnapshot {
    const snapshot: StorageServiceSnapshot = { version, contacts: [], groups: [], account: null };
    for (const { record } of this.known.values()) {
      if (record.contact) snapshot.contacts.push(contactFromRecord(record.contact));
      else if (record.groupV2) {
        const group = groupFromRecord(record.groupV2);
        if (group) snapshot.groups.push(group);
      } else if (record.account) snapshot.account = accountFromRecord(record.account);
    }
    return snapshot;
  }

  // Storage credentials expire; one refresh per call is enough to tell expiry from a real refusal.
  private async withCredentials<T>(request: (credentials: StorageCredentials) => Promise<T>): Promise<T> {
    if (this.credentials) {
      try {
        return await request(this.credentials);
      } catch (error) {
        if (!(error instanceof StorageCredentialsRejectedError)) throw error;
      }
    }
    this.credentials = await fetchStorageCredentials(this.options.chat);
    return request(this.credentials);
  }
}

function isUsedType(type: signalservice.ManifestRecord.Identifier.Type): boolean {
  return type === RecordType.CONTACT || type === RecordType.GROUPV2 || type === RecordType.ACCOUNT;
}
