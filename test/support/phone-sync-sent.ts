/**
 * What a user's phone tells its linked devices about something it sent (a SyncMessage.Sent
 * transcript), built raw because the mock's helper only sends plain text.
 */
import { type Device, EMPTY_DATA_MESSAGE, type PrimaryDevice } from "@signalapp/mock-server";

type RawContent = Parameters<PrimaryDevice["sendRaw"]>[1]["content"];

export interface SentFromPhone {
  /** Fields of the data message sent (a text, a reaction, a delete ...). */
  message?: Partial<typeof EMPTY_DATA_MESSAGE>;
  /** An edit sent instead of a message. */
  editMessage?: unknown;
}

/** `phone` tells `device` it sent `sent` to `recipient` at `timestamp`. */
export async function phoneSent(
  phone: PrimaryDevice,
  device: Device,
  recipient: PrimaryDevice,
  sent: SentFromPhone,
  timestamp = Date.now(),
): Promise<void> {
  const content = {
    syncMessage: {
      // The mock's protobuf types spell out every field and wrap oneofs in `content`.
      content: {
        sent: {
          destinationServiceIdBinary: null,
          destinationServiceId: recipient.device.aci,
          timestamp: BigInt(timestamp),
          message: sent.message
            ? { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(timestamp), ...sent.message }
            : null,
          editMessage: sent.editMessage ?? null,
          destinationE164: null,
          unidentifiedStatus: null,
          isRecipientUpdate: null,
          expirationStartTimestamp: null,
          storyMessage: null,
          storyMessageRecipients: null,
        },
      },
      stickerPackOperation: null,
      read: null,
      viewed: null,
      padding: null,
    },
  } as unknown as RawContent;
  await phone.sendRaw(
    device,
    { content, senderKeyDistributionMessage: null, pniSignatureMessage: null },
    { timestamp },
  );
}
