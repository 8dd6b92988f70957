import type { Bridge } from "matrix-appservice-bridge";
import type { BotActions } from "./bot.js";
import { encryptBuffer } from "./crypto/attachment-cipher.js";
import type { RoomSender } from "./matrix/room-sender.js";

/**
 * The bot's actions, done with the bridge library's bot intent; events go out through `sender`.
 * Notices in a portal are sent by whoever speaks for the bridge there (`portalNotice`; in direct
 * chats that is the contact's ghost, the bot is not in them); it returns undefined for other rooms.
 */
export function botActions(
  bridge: Bridge,
  sender: RoomSender,
  portalNotice: (roomId: string, text: string, html?: string) => Promise<string | undefined> = async () =>
    undefined,
): BotActions {
  const bot = () => bridge.getIntent();
  return {
    join: async (roomId) => {
      await bot().join(roomId);
    },
    // The library's Intent.leave re-registers the bot first, which Synapse answers with 500
    // for an existing user; the bot is registered at start, so leave directly.
    leave: async (roomId, reason) => {
      await bot().matrixClient.leaveRoom(roomId, reason);
    },
    sendNotice: async (roomId, text, html) =>
      (await portalNotice(roomId, text, html)) ??
      sender.send(bot(), roomId, "m.room.message", {
        msgtype: "m.notice",
        body: text,
        ...(html ? { format: "org.matrix.custom.html", formatted_body: html } : {}),
      }),
    sendPlainNotice: async (roomId, text) => {
      const { event_id } = await bot().sendMessage(roomId, { msgtype: "m.notice", body: text });
      return event_id;
    },
    sendPng: async (roomId, png, body) => {
      const info = { mimetype: "image/png", size: png.length };
      if (await sender.encrypts(roomId, bot().userId)) {
        const { ciphertext, info: encryption } = encryptBuffer(png);
        const url = await bot().uploadContent(ciphertext, { type: "application/octet-stream" });
        const content = { msgtype: "m.image", body, file: { url, ...encryption }, info };
        return sender.send(bot(), roomId, "m.room.message", content);
      }
      const url = await bot().uploadContent(png, { name: "signal-login-qr.png", type: "image/png" });
      return sender.send(bot(), roomId, "m.room.message", { msgtype: "m.image", body, url, info });
    },
    redact: async (roomId, eventId, reason) => {
      await bot().matrixClient.redactEvent(roomId, eventId, reason);
    },
    joinedMembers: (roomId) => bot().matrixClient.getJoinedRoomMembers(roomId),
  };
}
