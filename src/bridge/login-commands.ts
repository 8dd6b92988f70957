import type { Logger } from "../logger.js";
import { LinkingCancelledError } from "../signal/index.js";
import type { BotActions } from "./bot.js";
import type { BotCommand } from "./bot-commands.js";
import type { LoginManager } from "./logins.js";
import { qrCodePng } from "./qr-code.js";

const scanHelp =
  "Scan this QR code with Signal on your phone: Settings → Linked devices → Link new device. Send cancel to stop.";

/**
 * What to do once an account is linked (bring its chats in); returns what to tell the user, if
 * anything.
 */
export type AfterLogin = (userId: string) => Promise<string | null>;

/** `login`, `cancel` and `ping`: linking a Signal account and seeing its state. */
export function loginCommands(
  logins: LoginManager,
  actions: BotActions,
  afterLogin: AfterLogin,
  logger: Logger,
): BotCommand[] {
  const login: BotCommand = {
    name: "login",
    summary: "Link your Signal account by scanning a QR code with your phone.",
    needs: "user",
    async run({ roomId, sender, reply }) {
      const existing = logins.loginOf(sender);
      if (existing) {
        const { number, aci } = existing.client.account;
        await reply(
          `You are already logged in as ${number ?? aci}. Send logout first to link another account.`,
        );
        return;
      }
      if (logins.isLinking(sender)) {
        await reply("A login is already in progress: scan the QR code above, or send cancel.");
        return;
      }
      // Linking waits for the phone; it runs on its own so the bot keeps answering meanwhile.
      void runLink(roomId, sender);
    },
  };

  const runLink = async (roomId: string, userId: string) => {
    let shownQr: string | undefined;
    let qrUpdates = Promise.resolve();
    const withdrawQr = async () => {
      await qrUpdates;
      if (shownQr) await actions.redact(roomId, shownQr, "login code no longer valid").catch(() => undefined);
      shownQr = undefined;
    };
    const showQr = (url: string) => {
      qrUpdates = qrUpdates.then(async () => {
        const previous = shownQr;
        shownQr = await actions.sendPng(roomId, await qrCodePng(url), url);
        if (previous) await actions.redact(roomId, previous, "login code expired").catch(() => undefined);
        await actions.sendNotice(roomId, scanHelp).catch(() => undefined);
      });
      qrUpdates.catch((error) => logger.error(`could not show the login QR code to ${userId}`, error));
    };
    try {
      const account = await logins.link(userId, showQr);
      await withdrawQr();
      await actions.sendNotice(
        roomId,
        `Logged in as ${account.number ?? account.aci}. Your Signal chats will appear here as rooms.`,
      );
      await bringChatsIn(roomId, userId);
    } catch (error) {
      await withdrawQr();
      if (error instanceof LinkingCancelledError) {
        await actions.sendNotice(roomId, "Login cancelled.");
        return;
      }
      logger.error(`login of ${userId} failed`, error);
      await actions.sendNotice(roomId, `Login failed: ${(error as Error).message}`);
    }
  };

  // The login succeeded whatever happens here; `sync` tries again.
  const bringChatsIn = async (roomId: string, userId: string) => {
    try {
      const summary = await afterLogin(userId);
      if (summary) await actions.sendNotice(roomId, summary);
    } catch (error) {
      logger.warn(`bringing the chats of ${userId} in after login failed`, error);
      await actions.sendNotice(
        roomId,
        `Your groups could not be fetched yet (${(error as Error).message}). Send sync to try again.`,
      );
    }
  };

  const cancel: BotCommand = {
    name: "cancel",
    summary: "Stop a login that is waiting for the QR code to be scanned.",
    needs: "user",
    async run({ sender, reply }) {
      if (!logins.cancelLink(sender)) await reply("There is no login in progress.");
    },
  };

  const ping: BotCommand = {
    name: "ping",
    summary: "Show whether you are logged in and how the connection to Signal is.",
    needs: "user",
    async run({ sender, reply }) {
      const current = logins.loginOf(sender);
      if (!current) {
        await reply(
          logins.isLinking(sender)
            ? "A login is in progress."
            : "You are not logged in. Send login to link your Signal account.",
        );
        return;
      }
      const { number, aci, deviceId } = current.client.account;
      await reply(
        `Logged in as ${number ?? aci} (device ${deviceId}). Connection: ${current.client.connectionState}.`,
      );
    },
  };

  return [login, cancel, ping];
}
