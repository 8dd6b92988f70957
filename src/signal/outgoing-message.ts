// Sending a DataMessage to a chat the way a linked device must: to every recipient, then as a
// sent transcript to our own other devices so the phone shows it too.
import { signalservice } from "../proto/generated/signal.js";
import { SendError } from "./errors.js";
import type { SignalClient } from "./signal-client.js";

/** Where a message goes. */
export type Destination =
  | { kind: "direct"; aci: string }
  | { kind: "group"; masterKey: Uint8Array; revision: number; memberAcis: readonly string[] };

export interface SentMessage {
  /** The message's Signal timestamp; with our ACI it identifies the message. */
  timestamp: number;
  /** Recipients it could not be delivered to (the others got it). */
  failed: Array<{ aci: string; error: Error }>;
}

/**
 * Sends `message` with `timestamp` to `destination` and a transcript to our other devices.
 * Group messages go to each member separately (sender-key sends come later). Throws SendError
 * when nobody could be reached.
 */
export async function sendDataMessage(
  client: SignalClient,
  destination: Destination,
  message: signalservice.IDataMessage,
  timestamp: number,
): Promise<SentMessage> {
  const sender = await client.sender();
  const ownAci = client.account.aci;
  const dataMessage: signalservice.IDataMessage = {
    ...message,
    timestamp,
    ...(destination.kind === "group"
      ? { groupV2: { masterKey: destination.masterKey, revision: destination.revision } }
      : {}),
  };
  const content = signalservice.Content.encode({ dataMessage }).finish();
  const recipients =
    destination.kind === "direct"
      ? [destination.aci]
      : destination.memberAcis.filter((aci) => aci !== ownAci);

  const failed: SentMessage["failed"] = [];
  for (const aci of recipients) {
    try {
      await sender.sendToServiceId(aci, { kind: "content", content }, { timestamp });
    } catch (error) {
      failed.push({ aci, error: error as Error });
    }
  }
  if (recipients.length > 0 && failed.length === recipients.length) {
    throw new SendError(`The message could not be delivered: ${failed[0]?.error.message}`, {
      cause: failed[0]?.error,
    });
  }

  const transcript = signalservice.Content.encode({
    syncMessage: {
      sent: {
        timestamp,
        message: dataMessage,
        ...(destination.kind === "direct" ? { destinationServiceId: destination.aci } : {}),
        unidentifiedStatus: recipients
          .filter((aci) => !failed.some((f) => f.aci === aci))
          .map((aci) => ({ destinationServiceId: aci, unidentified: false })),
      },
    },
  }).finish();
  await sender.sendToServiceId(ownAci, { kind: "content", content: transcript }, { timestamp });
  return { timestamp, failed };
}
