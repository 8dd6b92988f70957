// Sending one Content to the members of a group: encrypted once with our sender key and sent as a
// multi-recipient sealed-sender message (authorized by group send endorsements). Members who lack
// our current sender key get it first over 1:1; whoever cannot be reached that way gets the
// message 1:1 instead.
import { randomUUID } from "node:crypto";
import {
  ContentHint,
  ErrorCode,
  groupEncrypt,
  LibSignalErrorBase,
  ProtocolAddress,
  sealedSenderMultiRecipientEncrypt,
  SenderKeyDistributionMessage,
  UnidentifiedSenderMessageContent,
  type MismatchedDevicesError,
  type RateLimitedError,
} from "@signalapp/libsignal-client";
import { GroupCipher } from "../groups/group-cipher.js";
import type { RecipientDevice } from "../message-sender.js";
import { padContent } from "../padding.js";
import { StoreTransaction, withProtocolLock } from "../protocol-stores.js";
import type { SenderKeyDistributionRecord } from "../storage.js";
import { signalservice } from "../../proto/generated/signal.js";
import { RateLimitError, UnregisteredRecipientError } from "./send-errors.js";
import type { SendContext } from "./send-context.js";
import { planSenderKeyDistribution, withHolders } from "./sender-key-plan.js";

const MAX_ATTEMPTS = 3;

export interface GroupSendRequest {
  masterKey: Uint8Array;
  /** Service ids of the members to reach (not us). */
  recipients: readonly string[];
  /** Serialized Content. */
  content: Uint8Array;
  timestamp: number;
  online?: boolean;
  urgent?: boolean;
  contentHint?: ContentHint;
}

export interface Delivery {
  serviceId: string;
  /** Whether the server did not learn that we sent it. */
  unidentified: boolean;
}

export interface GroupSendOutcome {
  delivered: Delivery[];
  failed: Array<{ aci: string; error: Error }>;
}

function libsignalError(error: unknown, code: ErrorCode): boolean {
  return error instanceof LibSignalErrorBase && error.code === code;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export async function sendToGroup(
  context: SendContext,
  request: GroupSendRequest,
): Promise<GroupSendOutcome> {
  const outcome: GroupSendOutcome = { delivered: [], failed: [] };
  if (request.recipients.length === 0) return outcome;
  const groupId = new GroupCipher(request.masterKey).groupId;
  let perRecipient: string[];
  try {
    perRecipient = await sendWithSenderKey(context, request, groupId, outcome);
  } catch (error) {
    // Rate limits apply to 1:1 sends too: retrying them one by one would only deepen the limit.
    if (error instanceof RateLimitError) throw error;
    perRecipient = request.recipients.filter(
      (id) => !outcome.delivered.some((d) => d.serviceId === id) && !outcome.failed.some((f) => f.aci === id),
    );
  }
  await sendOneByOne(context, request, groupId, perRecipient, outcome);
  return outcome;
}

/** The sender-key path; returns the recipients it could not serve (they get the message 1:1). */
async function sendWithSenderKey(
  context: SendContext,
  request: GroupSendRequest,
  groupId: Uint8Array,
  outcome: GroupSendOutcome,
): Promise<string[]> {
  const sender = context.sender();
  const groupKey = Buffer.from(groupId).toString("base64");
  const local = ProtocolAddress.new(context.account.aci, context.account.deviceId);
  const unreachable = new Set<string>();
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const devices = new Map<string, RecipientDevice[]>();
    for (const serviceId of request.recipients) {
      if (unreachable.has(serviceId) || outcome.failed.some((f) => f.aci === serviceId)) continue;
      try {
        const list = await sender.recipientDevices(serviceId);
        if (list.length > 0) devices.set(serviceId, list);
        else unreachable.add(serviceId);
      } catch (error) {
        if (error instanceof RateLimitError) throw error;
        outcome.failed.push({ aci: serviceId, error: asError(error) });
      }
    }
    if (devices.size === 0) return [...unreachable];

    const plan = planSenderKeyDistribution(
      await context.storage.getSenderKeyDistribution(groupKey),
      groupKey,
      devices,
      context.now(),
      randomUUID,
    );
    let record = plan.record;
    if (plan.needKey.length > 0) {
      const distribution = await senderKeyDistribution(context, local, record, plan.fresh);
      for (const serviceId of plan.needKey) {
        try {
          await sender.sendToServiceId(
            serviceId,
            { kind: "content", content: distribution },
            {
              timestamp: request.timestamp,
              accessKey: await context.accessKeyFor(serviceId),
              urgent: false,
              contentHint: ContentHint.Implicit,
              groupId,
            },
          );
          // The send may have found new devices (409) and covered them too.
          const current = await sender.recipientDevices(serviceId);
          record = withHolders(record, serviceId, current);
          devices.set(serviceId, current);
        } catch (error) {
          if (error instanceof RateLimitError) throw error;
          outcome.failed.push({ aci: serviceId, error: asError(error) });
          devices.delete(serviceId);
        }
      }
      await context.storage.commit([{ type: "sender-key-distribution", record }]);
    }
    if (devices.size === 0) return [...unreachable];

    const recipients = [...devices.keys()];
    const payload = await encryptForMembers(context, local, record.distributionId, request, groupId, devices);
    try {
      const token = await context.endorsements.tokenFor(request.masterKey, recipients);
      const connection = await context.unidentifiedChat();
      const response = await connection.sendMultiRecipientMessage({
        payload,
        timestamp: request.timestamp,
        auth: token,
        onlineOnly: request.online ?? false,
        urgent: request.urgent ?? true,
      });
      const unregistered = new Set(response.unregisteredIds.map((id) => id.getServiceIdString()));
      for (const serviceId of recipients) {
        if (unregistered.has(serviceId)) {
          outcome.failed.push({ aci: serviceId, error: new UnregisteredRecipientError(serviceId) });
        } else {
          outcome.delivered.push({ serviceId, unidentified: true });
        }
      }
      return [...unreachable];
    } catch (error) {
      if (libsignalError(error, ErrorCode.MismatchedDevices)) {
        for (const entry of (error as MismatchedDevicesError).entries) {
          await sender.repairDevices(entry.account.getServiceIdString(), entry);
        }
        continue;
      }
      if (libsignalError(error, ErrorCode.RateLimitedError)) {
        throw new RateLimitError(recipients.join(", "), (error as RateLimitedError).retryAfterSecs);
      }
      throw error;
    }
  }
  // The member devices kept changing under us: the remaining members get it one by one.
  return request.recipients.filter((id) => !outcome.failed.some((f) => f.aci === id));
}

/** Our SKDM for the group, creating the sender key when the plan asks for a fresh one. */
async function senderKeyDistribution(
  context: SendContext,
  local: ProtocolAddress,
  record: SenderKeyDistributionRecord,
  fresh: boolean,
): Promise<Uint8Array> {
  return withProtocolLock(context.storage, async () => {
    const tx = new StoreTransaction(context.storage, context.account);
    // A fresh distribution id has no sender key yet; create() makes one and stores it.
    const message = await SenderKeyDistributionMessage.create(
      local,
      record.distributionId,
      tx.stores("aci").senderKey,
    );
    await tx.commit(fresh ? [{ type: "sender-key-distribution", record }] : []);
    return signalservice.Content.encode({ senderKeyDistributionMessage: message.serialize() }).finish();
  });
}

async function encryptForMembers(
  context: SendContext,
  local: ProtocolAddress,
  distributionId: string,
  request: GroupSendRequest,
  groupId: Uint8Array,
  devices: ReadonlyMap<string, readonly RecipientDevice[]>,
): Promise<Uint8Array<ArrayBuffer>> {
  const certificate = await context.senderCertificate();
  // The sender-key chain advances here: commit before sending, as for 1:1 sessions.
  return withProtocolLock(context.storage, async () => {
    const tx = new StoreTransaction(context.storage, context.account);
    const stores = tx.stores("aci");
    const ciphertext = await groupEncrypt(
      local,
      distributionId,
      stores.senderKey,
      padContent(request.content),
    );
    const usmc = UnidentifiedSenderMessageContent.new(
      ciphertext,
      certificate,
      request.contentHint ?? ContentHint.Resendable,
      new Uint8Array(groupId),
    );
    const addresses = [...devices.entries()].flatMap(([serviceId, list]) =>
      list.map(({ deviceId }) => ProtocolAddress.new(serviceId, deviceId)),
    );
    const payload = await sealedSenderMultiRecipientEncrypt({
      content: usmc,
      recipients: addresses,
      identityStore: stores.identity,
      sessionStore: stores.session,
    });
    await tx.commit();
    return payload;
  });
}

async function sendOneByOne(
  context: SendContext,
  request: GroupSendRequest,
  groupId: Uint8Array,
  recipients: readonly string[],
  outcome: GroupSendOutcome,
): Promise<void> {
  const sender = context.sender();
  let rateLimited: RateLimitError | null = null;
  for (const serviceId of recipients) {
    // Once the server limits us, every further send would only extend the limit.
    if (rateLimited) {
      outcome.failed.push({ aci: serviceId, error: rateLimited });
      continue;
    }
    try {
      const result = await sender.sendToServiceId(
        serviceId,
        { kind: "content", content: request.content },
        {
          timestamp: request.timestamp,
          online: request.online,
          urgent: request.urgent,
          accessKey: await context.accessKeyFor(serviceId),
          groupId,
          contentHint: request.contentHint ?? ContentHint.Resendable,
        },
      );
      outcome.delivered.push({ serviceId, unidentified: result.unidentified });
    } catch (error) {
      if (error instanceof RateLimitError) rateLimited = error;
      outcome.failed.push({ aci: serviceId, error: asError(error) });
    }
  }
}
