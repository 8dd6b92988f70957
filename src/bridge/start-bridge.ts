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
import type { Store } from "../store/index.js";
import { servePing } from "./appservice-ping.js";
import { Bot } from "./bot.js";
import { ContactNameDirectory } from "./contact-names.js";
import { botActions } from "./bot-actions.js";
import { DisappearingMessages } from "./disappearing-messages.js";
import { Ghosts } from "./ghosts.js";
import { GroupDirectory } from "./group-directory.js";
import { syncChats } from "./chat-sync.js";
import { GroupPortalSync } from "./group-portal-sync.js";
import { describeRequestFailure, homeserverRequest } from "./homeserver-http.js";
import { pingHomeserver } from "./homeserver-ping.js";
import { waitForHomeserver, waitUntilAccepted } from "./homeserver-wait.js";
import { formatPart, routeLibraryLogs } from "./library-logs.js";
import { accountCommands } from "./commands/account-commands.js";
import { describeChatSync } from "./commands/sync-command.js";
import { loginCommands } from "./login-commands.js";
import { LoginManager } from "./logins.js";
import { type EphemeralEvent, MatrixEphemeral } from "./matrix-ephemeral.js";
import { MatrixToSignal } from "./matrix-to-signal.js";
import { MediaRelay } from "./media.js";
import { MessageStatusReporter } from "./message-status.js";
import { MatrixCryptoUnavailableError, matrixCryptoUnavailableReason } from "./native-matrix-crypto.js";
import { Portals } from "./portals.js";
import { signalEnvironmentFrom } from "./signal-environment.js";
import { SignalToMatrix } from "./signal-to-matrix.js";

export interface BridgeOptions {
  config: BridgeConfig;
  registration: Registration;
  store: Store;
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

const PROFILE_TIMEOUT_MS = 10_000;

/**
 * Sets the bot's display name unless it is already set. The lookup goes around the bot-sdk: a
 * user the homeserver created for the appservice has no profile yet, an answer it would log as an
 * error. A failure only costs the name, so it is a warning.
 */
async function ensureBotDisplayName(
  intent: Intent,
  name: string,
  homeserver: { url: string; asToken: string },
  logger: Logger,
): Promise<void> {
  const path = `/_matrix/client/v3/profile/${encodeURIComponent(intent.userId)}/displayname`;
  const request = { token: homeserver.asToken, timeoutMs: PROFILE_TIMEOUT_MS };
  const current = await homeserverRequest(homeserver.url, path, request).then(
    (answer) => (answer.status === 200 ? answer.body?.["displayname"] : undefined),
    (error) =>
      logger.debug(`looking up the bot's display name: ${describeRequestFailure(error, PROFILE_TIMEOUT_MS)}`),
  );
  if (current === name) return;
  try {
    await intent.setDisplayName(name);
  } catch (error) {
    logger.warn(`could not set the bot's display name to "${name}": ${formatPart(error)}`);
  }
}

/**
 * Starts the bridge: the appservice listener the homeserver pushes to, the bot, and the Signal
 * client of every logged-in user, wired to portals and ghosts.
 */
export async function startBridge({
  config,
  registration,
  store,
  logger,
}: BridgeOptions): Promise<RunningBridge> {
  checkEncryptionRequest(config);
  if (matrixCryptoUnavailableReason !== undefined) {
    logger.info(
      `native Matrix crypto unavailable (${matrixCryptoUnavailableReason}); encrypted rooms are not supported`,
    );
  }
  routeLibraryLogs(logger, config.logging.level, LibraryLogger.root);
  const environment = signalEnvironmentFrom(config);
  const botUserId = `@${config.appservice.bot.localpart}:${config.homeserver.domain}`;

  // Components are created before the library's Bridge only where its controller needs them.
  let onMatrixEvent: (event: WeakEvent) => Promise<void> = async () => undefined;
  let onEphemeralEvent: (event: EphemeralEvent) => Promise<void> = async () => undefined;
  const bridge = new Bridge({
    homeserverUrl: config.homeserver.url,
    domain: config.homeserver.domain,
    registration: AppServiceRegistration.fromObject(registration),
    // Our own database is the source of truth; the library's NeDB stores stay off.
    disableStores: true,
    suppressEcho: true,
    controller: {
      onEvent: (request: Request<WeakEvent>) => {
        const event = request.getData();
        onMatrixEvent(event).catch((error) =>
          logger.error(`handling ${event.type} in ${event.room_id} failed`, error),
        );
      },
      // Typing notifications and read receipts (the registration asks for ephemeral events).
      onEphemeralEvent: (request) => {
        const event = request.getData() as EphemeralEvent;
        onEphemeralEvent(event).catch((error) => logger.error(`handling ${event.type} failed`, error));
      },
    },
  });
  await bridge.initialise();

  const actions = botActions(bridge);
  const ghosts = new Ghosts(bridge, store.bridge, config, logger.child("ghosts"));
  const portals = new Portals(bridge, store.bridge, ghosts, botUserId, logger.child("portals"));
  const groups = new GroupDirectory(store, logger.child("groups"));
  const names = new ContactNameDirectory(store, logger.child("names"));
  const media = new MediaRelay(bridge, config.media.max_size_mb * 1024 * 1024, logger.child("media"));
  const status = new MessageStatusReporter(portals, store.bridge, logger.child("message-status"));
  const disappearing = new DisappearingMessages({ store, portals, logger: logger.child("disappearing") });
  const groupPortals = new GroupPortalSync({
    bridge,
    store,
    ghosts,
    portals,
    names,
    groups,
    followTimer: (portal, seconds) => disappearing.followGroupTimer(portal, seconds),
    botUserId,
    logger: logger.child("group-portals"),
  });
  const chatSyncDeps = { store, portals, ghosts, names, groupPortals, logger: logger.child("chat-sync") };
  const signalToMatrix = new SignalToMatrix({
    bridge,
    media,
    status,
    disappearing,
    store,
    ghosts,
    portals,
    names,
    groupPortalOf: (login, masterKey, context) => groupPortals.portalOf(login, masterKey, context),
    syncChats: async (login) => void (await syncChats(chatSyncDeps, login)),
    logger: logger.child("signal->matrix"),
  });
  const logins = new LoginManager({
    store,
    environment,
    deviceName: config.signal.device_name,
    logger: logger.child("logins"),
    notifyUser: async (userId, text) => {
      const roomId = store.bridge.managementRoomOf(userId);
      if (roomId) await actions.sendNotice(roomId, text);
      else logger.warn(`no management room to tell ${userId}: ${text}`);
    },
    handleSignalEvent: (login, event) => signalToMatrix.handle(login, event),
    onIdentityChange: (login, serviceId) => signalToMatrix.identityChanged(login, serviceId),
  });
  const matrixToSignal = new MatrixToSignal({
    store,
    ghosts,
    logins,
    groups,
    portals,
    media,
    status,
    disappearing,
    logger: logger.child("matrix->signal"),
  });
  const ephemeral = new MatrixEphemeral({
    store,
    logins,
    groups,
    disappearing,
    logger: logger.child("ephemeral"),
  });
  const bot = new Bot({
    botUserId,
    permissions: config.permissions,
    logger: logger.child("bot"),
    isBridgeUser: (userId) => userId === botUserId || ghosts.aciOf(userId) !== undefined,
    onManagementRoom: (userId, roomId) => store.bridge.setManagementRoom(userId, roomId),
    actions,
  });
  const commandDeps = {
    store,
    logins,
    portals,
    ghosts,
    names,
    groups,
    groupPortals,
    logger: logger.child("commands"),
  };
  const afterLogin = async (userId: string) => {
    const login = logins.loginOf(userId);
    const report = login ? await syncChats(chatSyncDeps, login) : null;
    return report ? describeChatSync(report) : null;
  };
  for (const command of loginCommands(logins, actions, afterLogin, logger.child("login")))
    bot.register(command);
  for (const command of accountCommands(commandDeps)) bot.register(command);

  onEphemeralEvent = (event) => ephemeral.handle(event);
  onMatrixEvent = async (event) => {
    if (store.bridge.portalByRoom(event.room_id)) await matrixToSignal.handle(event);
    else await bot.handleEvent(event);
  };

  await bridge.listen(config.appservice.port, config.appservice.hostname);
  servePing(bridge.appService.expressApp, registration.hs_token);
  const listening = `${config.appservice.hostname}:${config.appservice.port}`;
  logger.info(`appservice listening on ${listening}`);

  const homeserverUrl = config.homeserver.url;
  await waitForHomeserver({ homeserverUrl, logger });
  const ping = await pingHomeserver({
    homeserverUrl,
    asToken: registration.as_token,
    logger,
    context: {
      appserviceId: registration.id,
      registrationUrl: registration.url,
      configuredAddress: config.appservice.address,
      listening,
      registrationPath: config.appservice.registration,
    },
  });
  await waitUntilAccepted({
    homeserverUrl,
    logger,
    asToken: registration.as_token,
    registrationPath: config.appservice.registration,
    alreadyExplained: ping.kind === "refused",
  });
  const botIntent = bridge.getIntent();
  await botIntent.ensureRegistered();
  await ensureBotDisplayName(
    botIntent,
    config.appservice.bot.display_name,
    { url: homeserverUrl, asToken: registration.as_token },
    logger,
  );
  logger.info(`bot ${botUserId} is ready`);
  disappearing.start();
  await logins.startAll();

  return {
    botUserId,
    async stop() {
      disappearing.stop();
      await logins.stopAll();
      await bridge.close();
    },
  };
}
