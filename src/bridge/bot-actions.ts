import type { Bridge } from "matrix-appservice-bridge";
import type { BotActions } from "./bot.js";

/**
 * The bot's actions, done with the bridge library's bot intent. Notices in a portal are sent by
 * whoever speaks for the bridge there (`portalNotice`; in direct chats that is the contact's
 * ghost, the bot is not in them); it returns undefined for other rooms.
 */
export function botActions(
  bridge: Bridge,
  portalNotice: (roomId: string, text: string, html?: string) => Promise<string> | undefined = () =>
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
    sendNotice: async (roomId, text, html) => {
      const inPortal = portalNotice(roomId, text, html);
      if (inPortal) return inPortal;
      const { event_id } = await bot().sendMessage(roomId, {
        msgtype: "m.notice",
        body: text,
        ...(html ? { format: "org.matrix.custom.html", formatted_body: html } : {}),
      });
      return event_id;
    },
    sendPng: async (roomId, png, body) => {
      const url = await bot().uploadContent(png, { name: "signal-login-qr.png", type: "image/png" });
      const { event_id } = await bot().sendMessage(roomId, {
        msgtype: "m.image",
        body,
        url,
        info: { mimetype: "image/png", size: png.length },
      });
      return event_id;
    },
    redact: async (roomId, eventId, reason) => {
      await bot().matrixClient.redactEvent(roomId, eventId, reason);
    },
    joinedMembers: (roomId) => bot().matrixClient.getJoinedRoomMembers(roomId),
  };
}
