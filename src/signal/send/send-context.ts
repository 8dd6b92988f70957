// What every send of one account shares: the sender certificate, group send endorsements, the
// unauthenticated connection sealed-sender messages travel on, and the recipients' access keys.
import type { SenderCertificate } from "@signalapp/libsignal-client";
import type {
  Net,
  UnauthenticatedChatConnection,
  UnauthMessagesService,
  UnauthUsernamesService,
} from "@signalapp/libsignal-client/dist/net.js";
import type { ChatRequester } from "../chat-api.js";
import type { SignalEnvironment } from "../environment.js";
import { GroupCredentials } from "../groups/group-credentials.js";
import { MessageSender, type SealedSenderTransport } from "../message-sender.js";
import { deriveAccessKey } from "../profiles/profile-keys.js";
import { reported, type SignalRequestReport, type SignalRequestReporter } from "../request-reports.js";
import type { AccountRecord, SignalStorage } from "../storage.js";
import { GroupSendEndorsements } from "./group-send-endorsements.js";
import { SenderCertificateCache } from "./sender-certificate.js";

// libsignal adds the message-sending and username methods to the connection at runtime (net.js
// loads them); its type augmentation does not resolve under NodeNext, so the pairing is stated here.
export type UnidentifiedChatConnection = UnauthenticatedChatConnection &
  UnauthMessagesService &
  UnauthUsernamesService;

export interface SendContextOptions {
  environment: SignalEnvironment;
  storage: SignalStorage;
  account: AccountRecord;
  /** The account's authenticated chat requests (waiting for a connection when there is none). */
  chat: ChatRequester;
  net: Net;
  /** Told when a contact's identity key turned out to have changed while we sent to them. */
  onIdentityChange?: (serviceId: string) => void;
  /** Told of each send when it ends (see `measured`). */
  onRequest?: SignalRequestReporter;
  now?: () => number;
}

export class SendContext implements SealedSenderTransport {
  readonly endorsements: GroupSendEndorsements;
  private readonly certificates: SenderCertificateCache;
  private unidentified: Promise<UnidentifiedChatConnection> | null = null;
  private closed = false;

  constructor(private readonly options: SendContextOptions) {
    const now = options.now ?? Date.now;
    this.certificates = new SenderCertificateCache(options.chat, options.environment.serverTrustRoots, now);
    const credentials = new GroupCredentials({
      environment: options.environment,
      chat: options.chat,
      aci: options.account.aci,
      pni: options.account.pni,
      now,
    });
    this.endorsements = new GroupSendEndorsements(options.environment, credentials, options.account.aci, now);
  }

  get account(): AccountRecord {
    return this.options.account;
  }

  get storage(): SignalStorage {
    return this.options.storage;
  }

  now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Runs a send, then reports it (when someone listens). */
  measured<T>(type: SignalRequestReport["type"], operation: string, task: () => Promise<T>): Promise<T> {
    return reported(this.options.onRequest, type, operation, task);
  }

  /** A 1:1 sender that seals messages where it can. */
  sender(): MessageSender {
    return new MessageSender(
      this.options.chat,
      this.options.storage,
      this.options.account,
      this,
      this.options.onIdentityChange,
    );
  }

  /** The recipient's unidentified access key, or null when we do not know their profile key. */
  async accessKeyFor(aci: string): Promise<Uint8Array | null> {
    if (aci === this.options.account.aci) return null;
    const recipient = await this.options.storage.getRecipient(aci);
    return recipient?.profileKey ? deriveAccessKey(recipient.profileKey) : null;
  }

  senderCertificate(): Promise<SenderCertificate> {
    return this.certificates.get();
  }

  /** The unauthenticated connection, opened on first use and again after it dropped. */
  unidentifiedChat(): Promise<UnidentifiedChatConnection> {
    if (this.closed) return Promise.reject(new Error("the Signal client was stopped"));
    if (!this.unidentified) {
      const connecting: Promise<UnidentifiedChatConnection> = this.options.net.connectUnauthenticatedChat({
        onConnectionInterrupted: () => {
          if (this.unidentified === connecting) this.unidentified = null;
        },
      }) as Promise<UnidentifiedChatConnection>;
      connecting.catch(() => {
        if (this.unidentified === connecting) this.unidentified = null;
      });
      this.unidentified = connecting;
    }
    return this.unidentified;
  }

  async close(): Promise<void> {
    this.closed = true;
    const connecting = this.unidentified;
    this.unidentified = null;
    const connection = await connecting?.catch(() => null);
    await connection?.disconnect().catch(() => undefined);
  }
}
