// Minimal 1:1 sending: fetch pre-key bundles where we lack sessions, encrypt for every device of
// the recipient, PUT /v1/messages/<serviceId>, and repair the device list on 409/410.
// Other content kinds, sealed sender and group sends build on `sendToServiceId`.
import {
  CiphertextMessageType,
  KEMPublicKey,
  PreKeyBundle,
  ProtocolAddress,
  PublicKey,
  processPreKeyBundle,
  signalEncrypt,
  SessionRecord,
  type PlaintextContent,
} from "@signalapp/libsignal-client";
import { chatRequest, chatRequestOk, fromBase64, toBase64, type ChatRequester } from "./chat-api.js";
import { SendError, ServiceRequestError } from "./errors.js";
import { padContent } from "./padding.js";
import { StoreTransaction, withProtocolLock } from "./protocol-stores.js";
import type { AccountRecord, SignalStorage } from "./storage.js";

// Envelope.Type values the server expects in `messages[].type`.
const ENVELOPE_TYPE_CIPHERTEXT = 1;
const ENVELOPE_TYPE_PREKEY = 3;
const ENVELOPE_TYPE_PLAINTEXT = 8;
const MAX_ATTEMPTS = 4;

/** What to send: a serialized Content (encrypted per device) or a libsignal PlaintextContent. */
export type OutgoingPayload =
  { kind: "content"; content: Uint8Array } | { kind: "plaintext"; plaintext: PlaintextContent };

export interface SendOptions {
  timestamp: number;
  /** Online-only messages (typing) are dropped by the server when the recipient is offline. */
  online?: boolean;
  urgent?: boolean;
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

export class MessageSender {
  constructor(
    private readonly connection: ChatRequester,
    private readonly storage: SignalStorage,
    private readonly account: AccountRecord,
  ) {}

  get ownAci(): string {
    return this.account.aci;
  }

  /** Sends to every device of `serviceId` (our other devices when it is our own ACI). */
  async sendToServiceId(serviceId: string, payload: OutgoingPayload, options: SendOptions): Promise<void> {
    const isSelf = serviceId === this.account.aci;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      // Session state is committed before the request: the recipient may answer on the new
      // session before the server has even answered us.
      const messages = await withProtocolLock(this.storage, async () => {
        const tx = new StoreTransaction(this.storage, this.account);
        let devices = await this.storage.listSessionDevices("aci", serviceId);
        if (isSelf) devices = devices.filter((id) => id !== this.account.deviceId);
        if (devices.length === 0 && attempt === 0) {
          devices = await this.establishSessions(tx, serviceId, "*");
          if (isSelf) devices = devices.filter((id) => id !== this.account.deviceId);
          // Our own account may have no other device; then there is nobody to send to.
          if (devices.length === 0 && isSelf) return null;
        }
        const encrypted: OutgoingMessage[] = [];
        for (const deviceId of devices)
          encrypted.push(await this.encryptFor(tx, serviceId, deviceId, payload));
        await tx.commit();
        return encrypted;
      });
      if (!messages) return;
      const path = `/v1/messages/${serviceId}`;
      const response = await chatRequest(this.connection, "PUT", path, {
        messages,
        timestamp: options.timestamp,
        online: options.online ?? false,
        urgent: options.urgent ?? true,
      });
      if (response.status === 200) return;
      if (response.status === 409) {
        const body = response.json as { missingDevices?: number[]; extraDevices?: number[] };
        await withProtocolLock(this.storage, async () => {
          const repair = new StoreTransaction(this.storage, this.account);
          for (const deviceId of body.extraDevices ?? []) {
            repair.write({ type: "session-delete", ours: "aci", serviceId, deviceId });
          }
          for (const deviceId of body.missingDevices ?? []) {
            await this.establishSessions(repair, serviceId, String(deviceId));
          }
          await repair.commit();
        });
        continue;
      }
      if (response.status === 410) {
        const body = response.json as { staleDevices?: number[] };
        await withProtocolLock(this.storage, async () => {
          const repair = new StoreTransaction(this.storage, this.account);
          for (const deviceId of body.staleDevices ?? []) {
            repair.write({ type: "session-delete", ours: "aci", serviceId, deviceId });
            await this.establishSessions(repair, serviceId, String(deviceId));
          }
          await repair.commit();
        });
        continue;
      }
      throw new ServiceRequestError("PUT", path, response.status, "message was not accepted");
    }
    throw new SendError(`Could not send to ${serviceId}: its device list kept changing. Try again later.`);
  }

  private async encryptFor(
    tx: StoreTransaction,
    serviceId: string,
    deviceId: number,
    payload: OutgoingPayload,
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
    const ciphertext = await signalEncrypt(
      padContent(payload.content),
      address,
      local,
      stores.session,
      stores.identity,
    );
    const type =
      ciphertext.type() === CiphertextMessageType.PreKey ? ENVELOPE_TYPE_PREKEY : ENVELOPE_TYPE_CIPHERTEXT;
    return {
      type,
      destinationDeviceId: deviceId,
      destinationRegistrationId,
      content: toBase64(ciphertext.serialize()),
    };
  }

  /** Fetches pre-key bundles (`*` for all devices) and starts sessions; returns the device ids. */
  private async establishSessions(
    tx: StoreTransaction,
    serviceId: string,
    device: string,
  ): Promise<number[]> {
    const bundle = (await chatRequestOk(
      this.connection,
      "GET",
      `/v2/keys/${serviceId}/${device}`,
    )) as ServerBundle;
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
      await processPreKeyBundle(preKeyBundle, address, local, stores.session, stores.identity);
      ids.push(entry.deviceId);
    }
    return ids;
  }
}
