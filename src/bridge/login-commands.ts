import type { Logger } from "../logger.js";
import type { BotActions } from "./bot.js";
import type { BotCommand } from "./bot-commands.js";
import { AlreadyLoggedInError, type LinkSession, type LinkSessions, reportLinking } from "./link-sessions.js";
import type { LoginManager } from "./logins.js";
import { qrCodePng } from "./qr-code.js";

const scanHelp =
  "Scan this QR code with Signal on your phone: Settings → Linked devices → Link new device. Send cancel to stop.";

/** How a login's state is shown to its user. */
export interface LoginStateView {
  /** The state name (mautrix's: CONNECTED, BAD_CREDENTIALS ...) and what it means, if known. */
  stateOf(userId: string): { name: string; message?: string } | undefined;
}

export interface LoginCommandOptions {
  /** A one-time link to the web login page, offered with the QR code; none when not configured. */
  webLoginLink?: (userId: string) => string;
  states?: LoginStateView;
}

/** `login`, `cancel` and `ping`: linking a Signal account and seeing its state. */
export function loginCommands(
  logins: LoginManager,
  sessions: LinkSessions,
  actions: BotActions,
  logger: Logger,
  options: LoginCommandOptions = {},
): BotCommand[] {
  const login: BotCommand = {
    name: "login",
    summary: "Link your Signal account by scanning a QR code with your phone.",
    needs: "user",
    async run({ roomId, sender, reply }) {
      let linking;
      try {
        linking = sessions.start(sender);
      } catch (error) {
        if (!(error instanceof AlreadyLoggedInError)) throw error;
        const { number, aci } = error.account;
        await reply(
          `You are already logged in as ${number ?? aci}. Send logout first to link another account.`,
        );
        return;
      }
      if (!linking.started) {
        await reply("A login is already in progress: scan its QR code, or send cancel.");
        return;
      }
      // Linking waits for the phone; it runs on its own so the bot keeps answering meanwhile.
      showLinking(roomId, linking.session);
    },
  };

  const showLinking = (roomId: string, session: LinkSession) => {
    const userId = session.userId;
    let shownQr: string | undefined;
    let qrUpdates = Promise.resolve();
    let helped = false;
    const withdrawQr = async () => {
      stopWatching();
      await qrUpdates;
      if (shownQr) await actions.redact(roomId, shownQr, "login code no longer valid").catch(() => undefined);
      shownQr = undefined;
    };
    const showQr = (url: string) => {
      qrUpdates = qrUpdates.then(async () => {
        const previous = shownQr;
        shownQr = await actions.sendPng(roomId, await qrCodePng(url), url);
        if (previous) await actions.redact(roomId, previous, "login code expired").catch(() => undefined);
        if (helped) return;
        helped = true;
        const link = options.webLoginLink?.(userId);
        const web = link
          ? ` Or open ${link} in a browser to show the code there (for you only; the link works once, within 10 minutes).`
          : "";
        await actions.sendNotice(roomId, scanHelp + web).catch(() => undefined);
      });
      qrUpdates.catch((error) => logger.error(`could not show the login QR code to ${userId}`, error));
    };
    const stopWatching = session.onUrl(showQr);
    if (session.url !== undefined) showQr(session.url);
    const tell = async (text: string) => void (await actions.sendNotice(roomId, text));
    reportLinking(session, tell, logger, withdrawQr).catch((error) =>
      logger.error(`could not tell ${userId} how their login went`, error),
    );
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
      const state = options.states?.stateOf(sender);
      if (!current) {
        if (logins.isLinking(sender)) await reply("A login is in progress.");
        else if (state) {
          await reply(
            `You are not logged in: your Signal login is ${state.name}${state.message ? ` (${state.message})` : ""}. Send login to link the bridge again, or logout to delete its keys.`,
          );
        } else await reply("You are not logged in. Send login to link your Signal account.");
        return;
      }
      const { number, aci, deviceId } = current.client.account;
      const connection = state?.name ?? current.client.connectionState;
      await reply(`Logged in as ${number ?? aci} (device ${deviceId}). Connection: ${connection}.`);
    },
  };

  return [login, cancel, ping];
}
