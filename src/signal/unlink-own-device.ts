// A linked device removing itself from the account, as "Unlink" on the phone would.
import { type ChatRequester, chatRequestOk } from "./chat-api.js";

/**
 * Asks the server to remove device `deviceId` of the authenticated account. The server lets a
 * linked device remove only itself; afterwards its credentials stop working.
 * Throws ServiceRequestError when the server refuses.
 */
export async function unlinkOwnDevice(chat: ChatRequester, deviceId: number): Promise<void> {
  await chatRequestOk(chat, "DELETE", `/v1/devices/${deviceId}`);
}
