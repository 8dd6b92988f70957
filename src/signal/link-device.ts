// Linking this client as a secondary device of an existing Signal account.
import { randomBytes, randomInt } from "node:crypto";
import { Aci, IdentityKeyPair, Pni, PrivateKey, PublicKey } from "@signalapp/libsignal-client";
import type {
  ChatServerMessageAck,
  Net,
  ProvisioningConnection,
} from "@signalapp/libsignal-client/dist/net.js";
import { signalservice } from "../proto/generated/signal.js";
import { chatRequest, toBase64 } from "./chat-api.js";
import { encryptDeviceName } from "./device-name.js";
import { EnvelopeReceiver } from "./envelope-receiver.js";
import type { SignalEnvironment } from "./environment.js";
import { LinkingCancelledError, LinkingError } from "./errors.js";
import { MessageSender } from "./message-sender.js";
import { createNet, DEFAULT_USER_AGENT } from "./net.js";
import { initialKeyIds, KeyGenerator, ONE_TIME_KEY_BATCH, uploadKeys } from "./pre-keys.js";
import { decryptProvisioningMessage } from "./provisioning-cipher.js";
import type { AccountRecord, SignalStorage } from "./storage.js";

export interface LinkDeviceOptions {
  environment: SignalEnvironment;
  /** Storage for the new account; it should hold no account yet. */
  storage: SignalStorage;
  /** Shown in the phone's list of linked devices. */
  deviceName: string;
  /** Receives each `sgnl://linkdevice` URL to show as a QR code; called again when the previous one expired. */
  onLinkUrl: (url: string) => void;
  /** Aborting cancels linking with LinkingCancelledError. */
  signal?: AbortSignal;
  userAgent?: string;
  /**
   * Tells the phone (in the QR code) that this device takes a message history transfer, as Signal
   * Desktop does; the phone then offers the user to send its recent history.
   */
  acceptHistoryTransfer?: boolean;
}

/** The account this device was linked to. */
export interface LinkedAccount {
  aci: string;
  pni: string;
  number: string | null;
  deviceId: number;
}

// A provisioning socket that drops before it even produced an address this many times in a row
// means the service is unreachable; later drops (expired codes) just produce a new URL.
const MAX_CONSECUTIVE_CONNECT_FAILURES = 5;
const RECONNECT_DELAY_MS = 1_000;

type ProvisioningOutcome =
  | { kind: "envelope"; envelope: Uint8Array }
  | { kind: "interrupted"; hadAddress: boolean }
  | { kind: "aborted" };

/** The capability a linked device names in its URL when it can take the history transfer. */
const HISTORY_TRANSFER_CAPABILITY = "backup5";

/** Builds the URL the phone scans; the public key must be URL-encoded (a raw `+` would become a space). */
export function linkUrl(address: string, publicKey: PublicKey, acceptHistoryTransfer = false): string {
  const capabilities = acceptHistoryTransfer ? `&capabilities=${HISTORY_TRANSFER_CAPABILITY}` : "";
  return `sgnl://linkdevice?uuid=${encodeURIComponent(address)}&pub_key=${encodeURIComponent(toBase64(publicKey.serialize()))}${capabilities}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

async function provisionOnce(
  net: Net,
  key: PrivateKey,
  onLinkUrl: (url: string) => void,
  signal: AbortSignal | undefined,
  acceptHistoryTransfer: boolean,
): Promise<ProvisioningOutcome> {
  let connection: ProvisioningConnection | undefined;
  let hadAddress = false;
  const outcome = await new Promise<ProvisioningOutcome>((resolve, reject) => {
    const onAbort = (): void => resolve({ kind: "aborted" });
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    net
      .connectProvisioning(
        {
          onReceivedAddress: (address: string, ack: ChatServerMessageAck) => {
            ack.send(200);
            hadAddress = true;
            onLinkUrl(linkUrl(address, key.getPublicKey(), acceptHistoryTransfer));
          },
          onReceivedEnvelope: (envelope: Uint8Array, ack: ChatServerMessageAck) => {
            ack.send(200);
            resolve({ kind: "envelope", envelope });
          },
          onConnectionInterrupted: () => resolve({ kind: "interrupted", hadAddress }),
        },
        { abortSignal: signal },
      )
      .then(
        (opened) => {
          connection = opened;
        },
        (error: unknown) => (signal?.aborted ? resolve({ kind: "aborted" }) : reject(error)),
      );
  });
  await connection?.disconnect().catch(() => undefined);
  return outcome;
}

async function receiveProvisionMessage(
  net: Net,
  onLinkUrl: (url: string) => void,
  signal: AbortSignal | undefined,
  acceptHistoryTransfer: boolean,
): Promise<signalservice.ProvisionMessage> {
  let failures = 0;
  for (;;) {
    const key = PrivateKey.generate();
    let outcome: ProvisioningOutcome;
    try {
      outcome = await provisionOnce(net, key, onLinkUrl, signal, acceptHistoryTransfer);
    } catch (cause) {
      outcome = { kind: "interrupted", hadAddress: false };
      if (++failures >= MAX_CONSECUTIVE_CONNECT_FAILURES) {
        throw new LinkingError(
          "Could not reach the Signal service to start linking. Check the network and try again.",
          {
            cause,
          },
        );
      }
    }
    if (outcome.kind === "aborted") throw new LinkingCancelledError();
    if (outcome.kind === "envelope") {
      const envelope = signalservice.ProvisionEnvelope.decode(outcome.envelope);
      const plaintext = decryptProvisioningMessage(key, envelope);
      return signalservice.ProvisionMessage.decode(plaintext);
    }
    if (outcome.hadAddress) failures = 0;
    await sleep(RECONNECT_DELAY_MS, signal);
  }
}

function uuidFrom(binary: Uint8Array, text: string, kind: "aci" | "pni"): string | null {
  if (binary.length === 16) {
    return (kind === "aci" ? Aci.fromUuidBytes(binary) : Pni.fromUuidBytes(binary)).getRawUuid();
  }
  return text ? text.toLowerCase().replace(/^pni:/, "") : null;
}

function identityFrom(publicKey: Uint8Array, privateKey: Uint8Array, what: string): IdentityKeyPair {
  if (publicKey.length === 0 || privateKey.length === 0) {
    throw new LinkingError(
      `The phone sent no ${what} identity key. Update Signal on the phone and link again.`,
    );
  }
  return new IdentityKeyPair(
    PublicKey.deserialize(new Uint8Array(publicKey)),
    PrivateKey.deserialize(new Uint8Array(privateKey)),
  );
}

// Registration ids are 14-bit and non-zero.
function registrationId(): number {
  return randomInt(1, 16381);
}

/**
 * Links a new device: shows URLs until the phone scans one, registers the device with fresh
 * keys, stores the account, uploads one-time keys and asks the phone to sync contacts, blocked
 * list, configuration and keys.
 */
export async function linkDevice(options: LinkDeviceOptions): Promise<LinkedAccount> {
  const { storage, signal } = options;
  const net = createNet(options.environment, options.userAgent ?? DEFAULT_USER_AGENT);
  const acceptHistoryTransfer = options.acceptHistoryTransfer ?? false;
  const message = await receiveProvisionMessage(net, options.onLinkUrl, signal, acceptHistoryTransfer);

  const aci = uuidFrom(message.aciBinary, message.aci, "aci");
  const pni = uuidFrom(message.pniBinary, message.pni, "pni");
  if (!aci || !pni || !message.provisioningCode) {
    throw new LinkingError(
      "The phone's linking data is incomplete (account ids or code missing). Link again.",
    );
  }
  const aciIdentity = identityFrom(message.aciIdentityKeyPublic, message.aciIdentityKeyPrivate, "ACI");
  const pniIdentity = identityFrom(message.pniIdentityKeyPublic, message.pniIdentityKeyPrivate, "PNI");
  if (signal?.aborted) throw new LinkingCancelledError();

  const now = Date.now();
  const password = randomBytes(18).toString("base64");
  const generator = new KeyGenerator(
    { aci: aciIdentity, pni: pniIdentity },
    { aci: initialKeyIds(), pni: initialKeyIds() },
  );
  const account: AccountRecord = {
    aci,
    pni,
    number: message.number || null,
    deviceId: 0,
    password,
    registrationId: registrationId(),
    pniRegistrationId: registrationId(),
    aciIdentityKeyPair: aciIdentity.serialize(),
    pniIdentityKeyPair: pniIdentity.serialize(),
    profileKey: message.profileKey.length > 0 ? message.profileKey : null,
    masterKey: message.masterKey.length > 0 ? message.masterKey : null,
    accountEntropyPool: message.accountEntropyPool || null,
    mediaRootBackupKey: message.mediaRootBackupKey.length > 0 ? message.mediaRootBackupKey : null,
    // The phone sends this key only when the user chose to transfer the history.
    ephemeralBackupKey:
      acceptHistoryTransfer && message.ephemeralBackupKey.length === 32 ? message.ephemeralBackupKey : null,
    deviceName: options.deviceName,
    keyIds: generator.keyIds,
    signedPreKeyRotatedAt: now,
  };
  const body = {
    verificationCode: message.provisioningCode,
    accountAttributes: {
      fetchesMessages: true,
      registrationId: account.registrationId,
      pniRegistrationId: account.pniRegistrationId,
      name: encryptDeviceName(options.deviceName, aciIdentity.publicKey),
      capabilities: {},
    },
    aciSignedPreKey: generator.signedPreKey("aci", now),
    aciPqLastResortPreKey: generator.kyberPreKey("aci", now, true),
    pniSignedPreKey: generator.signedPreKey("pni", now),
    pniPqLastResortPreKey: generator.kyberPreKey("pni", now, true),
  };

  const unauthenticated = await net.connectUnauthenticatedChat({ onConnectionInterrupted: () => undefined });
  let response;
  try {
    const credentials = Buffer.from(`${aci}:${password}`).toString("base64");
    response = await chatRequest(unauthenticated, "PUT", "/v1/devices/link", body, [
      ["authorization", `Basic ${credentials}`],
    ]);
  } finally {
    await unauthenticated.disconnect().catch(() => undefined);
  }
  if (response.status === 403 || response.status === 401) {
    throw new LinkingError("The phone's linking code was refused (expired or already used). Link again.");
  }
  if (response.status === 411) {
    throw new LinkingError(
      "The account already has the maximum number of linked devices. Unlink one on the phone.",
    );
  }
  if (response.status !== 200) {
    throw new LinkingError(`The Signal server refused to link this device (status ${response.status}).`);
  }
  const linked = response.json as { deviceId?: number };
  if (typeof linked.deviceId !== "number")
    throw new LinkingError("The Signal server did not assign a device id.");
  account.deviceId = linked.deviceId;

  const oneTime = {
    aci: generator.oneTimeKeys("aci", now, ONE_TIME_KEY_BATCH),
    pni: generator.oneTimeKeys("pni", now, ONE_TIME_KEY_BATCH),
  };
  account.keyIds = generator.keyIds;
  await storage.commit([
    ...generator.writes,
    { type: "account", account },
    {
      type: "recipient",
      recipient: {
        aci,
        pni,
        number: account.number,
        profileKey: account.profileKey,
        profileName: null,
        contactName: null,
      },
    },
  ]);

  // The phone answers the sync requests at once; whatever arrives on this short-lived connection
  // is buffered and acknowledged like on any other, and emitted when the client starts.
  const receiver = new EnvelopeReceiver(storage, account, options.environment.serverTrustRoots);
  let receiving: Promise<unknown> = Promise.resolve();
  const chat = await net.connectAuthenticatedChat(`${aci}.${account.deviceId}`, password, false, {
    onIncomingMessage: (envelope, timestamp, ack) => {
      receiving = receiving
        .then(async () => {
          await receiver.receive(envelope, timestamp);
          ack.send(200);
        })
        .catch(() => undefined);
    },
    onQueueEmpty: () => undefined,
    onConnectionInterrupted: () => undefined,
  });
  try {
    await uploadKeys(chat, "aci", oneTime.aci);
    await uploadKeys(chat, "pni", oneTime.pni);
    await requestSyncs(new MessageSender(chat, storage, account));
  } finally {
    await receiving;
    await chat.disconnect().catch(() => undefined);
  }
  return { aci, pni, number: account.number, deviceId: account.deviceId };
}

async function requestSyncs(sender: MessageSender): Promise<void> {
  const Type = signalservice.SyncMessage.Request.Type;
  for (const type of [Type.CONTACTS, Type.BLOCKED, Type.CONFIGURATION, Type.KEYS]) {
    const content = signalservice.Content.encode({ syncMessage: { request: { type } } }).finish();
    await sender.sendToServiceId(sender.ownAci, { kind: "content", content }, { timestamp: Date.now() });
  }
}
