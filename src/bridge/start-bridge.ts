import {
  AppServiceRegistration,
  Bridge,
  type Intent,
  Logger as LibraryLogger,
  type Request,
  type WeakEvent,
} from "matrix-appservice-bridge";
import type { BridgeConfig, Registration } from "../config/index.js";
import type { Logger } from "../logger.js";
import { Bot } from "./bot.js";
import { MatrixCryptoUnavailableError, matrixCryptoUnavailableReason } from "./native-matrix-crypto.js";

export interface BridgeOptions {
  config: BridgeConfig;
  registration: Registration;
  logger: Logger;
}

export interface RunningBridge {
  botUserId: string;
  stop(): Promise<void>;
}

/** Thrown when config asks for something this build cannot do; the message names the key. */
export class UnsupportedConfigError extends Error {
  override name = "UnsupportedConfigError";
}

function checkEncryptionRequest(config: BridgeConfig): void {
  if (!config.encryption.allow) return;
  if (matrixCryptoUnavailableReason !== undefined) {
    throw new MatrixCryptoUnavailableError(matrixCryptoUnavailableReason);
  }
  throw new UnsupportedConfigError(
    "encryption.allow is true, but this version of the bridge does not yet support end-to-bridge encryption. Set encryption.allow to false.",
  );
}

/** Sets a display name unless it is already set; a brand-new user may have no profile row yet. */
async function ensureDisplayName(intent: Intent, name: string): Promise<void> {
  const current = await intent.getProfileInfo(intent.userId, "displayname", false).catch(() => undefined);
  if (current?.displayname !== name) await intent.setDisplayName(name);
}

/** Starts the application service: the HTTP listener the homeserver pushes to, and the bot. */
export async function startAppservice({
  config,
  registration,
  logger,
}: BridgeOptions): Promise<RunningBridge> {
  checkEncryptionRequest(config);
  if (matrixCryptoUnavailableReason !== undefined) {
    logger.info(
      `native Matrix crypto unavailable (${matrixCryptoUnavailableReason}); encrypted rooms are not supported`,
    );
  }
  LibraryLogger.configure({ console: config.logging.level === "debug" ? "info" : "warn" });

  const { domain } = config.homeserver;
  const botUserId = `@${config.appservice.bot.localpart}:${domain}`;
  const [ghostPrefix = "", ghostSuffix = ""] = config.appservice.ghosts.localpart_template.split("{aci}");
  const isBridgeUser = (userId: string) =>
    userId === botUserId ||
    (userId.endsWith(`${ghostSuffix}:${domain}`) && userId.startsWith(`@${ghostPrefix}`));

  const bot = new Bot({
    botUserId,
    permissions: config.permissions,
    logger: logger.child("bot"),
    isBridgeUser,
    actions: {
      join: async (roomId) => {
        await bridge.getIntent().join(roomId);
      },
      // The library's Intent.leave re-registers the bot first, which Synapse answers with 500
      // for an existing user; the bot is registered at start, so leave directly.
      leave: async (roomId, reason) => {
        await bridge.getIntent().matrixClient.leaveRoom(roomId, reason);
      },
      sendNotice: async (roomId, text, html) => {
        await bridge.getIntent().sendMessage(roomId, {
          msgtype: "m.notice",
          body: text,
          ...(html ? { format: "org.matrix.custom.html", formatted_body: html } : {}),
        });
      },
      joinedMembers: (roomId) => bridge.getIntent().matrixClient.getJoinedRoomMembers(roomId),
    },
  });
  const bridge = new Bridge({
    homeserverUrl: config.homeserver.url,
    domain,
    registration: AppServiceRegistration.fromObject(registration),
    // Our own database is the source of truth; the library's NeDB stores stay off.
    disableStores: true,
    suppressEcho: true,
    controller: {
      onEvent: (request: Request<WeakEvent>) => {
        const event = request.getData();
        bot
          .handleEvent(event)
          .catch((error) => logger.error(`handling ${event.type} in ${event.room_id} failed`, error));
      },
    },
  });
  await bridge.initialise();
  const botIntent = bridge.getIntent();

  await bridge.listen(config.appservice.port, config.appservice.hostname);
  logger.info(`appservice listening on ${config.appservice.hostname}:${config.appservice.port}`);
  await botIntent.ensureRegistered();
  await ensureDisplayName(botIntent, config.appservice.bot.display_name);
  logger.info(`bot ${botUserId} is ready`);

  return {
    botUserId,
    stop: () => bridge.close(),
  };
}
