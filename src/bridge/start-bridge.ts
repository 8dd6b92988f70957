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
import type { JournalEntry, Store } from "../store/index.js";
import { servePing } from "./appservice-ping.js";
import { HistoryImporter } from "./backfill/index.js";
import { Bot } from "./bot.js";
import { ContactNameDirectory } from "./contact-names.js";
import { botActions } from "./bot-actions.js";
import { DisappearingMessages } from "./disappearing-messages.js";
import { Ghosts } from "./ghosts.js";
import { GroupDirectory } from "./group-directory.js";
import { syncChats } from "./chat-sync.js";
import { GroupPortalSync } from "./group-portal-sync.js";
import { GroupChangesFromMatrix, GroupEditor, LeaveConfirmations } from "./groups/index.js";
import { describeRequestFailure, homeserverRequest } from "./homeserver-http.js";
import { pingHomeserver } from "./homeserver-ping.js";
import { waitForHomeserver, waitUntilAccepted } from "./homeserver-wait.js";
import { formatPart, routeLibraryLogs } from "./library-logs.js";
import { accountCommands } from "./commands/account-commands.js";
import { describeChatSync } from "./commands/sync-command.js";
import { disappearingTimerCommand } from "./commands/timer-command.js";
import { LinkSessions } from "./link-sessions.js";
import { loginCommands } from "./login-commands.js";
import { LoginManager } from "./logins.js";
import { type EphemeralEvent, MatrixEphemeral } from "./matrix-ephemeral.js";
import { JournalingAppService } from "./matrix/journaling-appservice.js";
import { RoomQueues } from "./matrix/room-queues.js";
import { isOpaqueJoinFailure } from "./retry-policy.js";
import { MatrixToSignal } from "./matrix-to-signal.js";
import { MediaRelay } from "./media.js";
import { NewChats } from "./new-chats.js";
import { MessageStatusReporter } from "./message-status.js";
import { signalPhoneNumberDiscovery } from "./phone-number-lookup.js";
import { MatrixCryptoUnavailableError, matrixCryptoUnavailableReason } from "./native-matrix-crypto.js";
import { bridgeStates, createOps } from "./ops/index.js";
import { PortalEvents } from "./portal-events.js";
import { Portals } from "./portals.js";
import { RateLimitChallenges } from "./rate-limit-challenges.js";
import { RelayMode } from "./relay-mode/index.js";
import { signalEnvironmentFrom } from "./signal-environment.js";
import { SignalToMatrix } from "./signal-to-matrix.js";
import { TimersFromMatrix } from "./timers-from-matrix.js";

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

/** Matrix events handled at the same time, across rooms (each room's own stay in order). */
const ROOMS_IN_PARALLEL = 8;
const LISTEN_BACKLOG = 511;
/** How long handled events are remembered, to recognise the homeserver delivering them again. */
const JOURNAL_MEMORY_MS = 7 * 24 * 3600_000;
const JOURNAL_PRUNE_INTERVAL_MS = 6 * 3600_000;

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

  const journal = store.matrixJournal;
  // Transactions arrive only after listen(), when `ghosts` below exists.
  const isBridgeUser = (userId: string) => userId === botUserId || ghosts.aciOf(userId) !== undefined;
  // Entries are handled only after resumeAll() below, when everything handleEntry uses exists.
  const rooms = new RoomQueues({
    journal,
    concurrency: ROOMS_IN_PARALLEL,
    logger: logger.child("matrix-events"),
    handle: (entry) => handleEntry(entry),
    reconsider: (error) => homeserverAwayBehind(error),
  });
  const appService = new JournalingAppService({
    homeserverToken: registration.hs_token,
    journal,
    isBridgeUser,
    onJournaled: (intake) => intake.rooms.forEach((roomId) => rooms.kick(roomId)),
    logger: logger.child("transactions"),
  });
  const bridge = new Bridge({
    homeserverUrl: config.homeserver.url,
    domain: config.homeserver.domain,
    registration: AppServiceRegistration.fromObject(registration),
    // Our own database is the source of truth; the library's NeDB stores stay off.
    disableStores: true,
    suppressEcho: true,
    // Events are handled from the journal (see RoomQueues); the library sees them only to keep
    // its membership caches.
    controller: { onEvent: (request: Request<WeakEvent>) => request.resolve(undefined) },
  });
  await bridge.initialise();

  // Replies to commands in a portal come from whoever speaks for the bridge there.
  const actions = botActions(bridge, (roomId, text, html) => {
    const portal = store.bridge.portalByRoom(roomId);
    return portal && portals.notice(portal, text, html);
  });
  // A join failure hides its cause; asking the homeserver tells "it is down" from "refused".
  const homeserverAwayBehind = async (error: unknown) =>
    isOpaqueJoinFailure(error) &&
    !(await bridge
      .getIntent()
      .matrixClient.doRequest("GET", "/_matrix/client/versions")
      .then(
        () => true,
        () => false,
      ));
  const ghosts = new Ghosts(bridge, store.bridge, config, logger.child("ghosts"));
  const portals = new Portals(bridge, store.bridge, ghosts, botUserId, logger.child("portals"));
  const groups = new GroupDirectory(store, logger.child("groups"));
  const names = new ContactNameDirectory(store, logger.child("names"), {
    profileRefreshMs: config.signal.profile_refresh_minutes * 60_000,
    // Only ghosts that exist: a new contact's ghost is made by what brought them, with these names.
    onRefreshed: async (_login, aci, contactNames) => {
      if (store.bridge.ghost(aci)) await ghosts.ensure(aci, contactNames);
    },
  });
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
  /** Tells a user something in their management room; nothing when they have none. */
  const tellUser = async (userId: string, text: string, html?: string) => {
    const roomId = store.bridge.managementRoomOf(userId);
    if (roomId) await actions.sendNotice(roomId, text, html);
    else logger.debug(`no management room to tell ${userId}: ${text}`);
  };
  const states = bridgeStates(config, registration.as_token, tellUser, logger.child("bridge-state"));
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
  const notifyUser = async (userId: string, text: string) => {
    const roomId = store.bridge.managementRoomOf(userId);
    if (roomId) await actions.sendNotice(roomId, text);
    else logger.warn(`no management room to tell ${userId}: ${text}`);
  };
  const challenges = new RateLimitChallenges({
    notifyUser,
    retryHeldNow: () => rooms.retryWaitingNow(),
    logger: logger.child("challenges"),
  });
  const history = new HistoryImporter({
    store,
    portals,
    ghosts,
    names,
    groupPortalOf: (login, masterKey) => groupPortals.portalOf(login, masterKey),
    show: (login, portal, item) => signalToMatrix.backfill(login, portal, item),
    settings: {
      enabled: config.backfill.enabled,
      maxPortals: config.backfill.max_portals,
      maxInitialMessages: config.backfill.max_initial_messages,
    },
    notifyUser,
    logger: logger.child("history"),
  });
  const logins = new LoginManager({
    store,
    environment,
    deviceName: config.signal.device_name,
    logger: logger.child("logins"),
    notifyUser,
    handleSignalEvent: async (login, event) => {
      // A chat's history comes before its live messages.
      await history.beforeLive(login, event);
      await signalToMatrix.handle(login, event);
    },
    reconsiderFailure: (error) => homeserverAwayBehind(error),
    onIdentityChange: (login, serviceId) => signalToMatrix.identityChanged(login, serviceId),
    onLoginEvent: (userId, event) => states.handle(userId, event),
    acceptHistoryTransfer: config.backfill.enabled,
    onStarting: (login, start) => history.starting(login, start),
  });
  const relay = new RelayMode({
    store,
    logins,
    groups,
    permissions: config.permissions,
    settings: config.bridge.relay,
    displayNameIn: (portal, userId) => portals.displayNameIn(portal, userId),
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
    challenges,
    relay,
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
    isBridgeUser,
    onManagementRoom: (userId, roomId) => store.bridge.setManagementRoom(userId, roomId),
    isPortal: (roomId) => store.bridge.portalByRoom(roomId) !== undefined,
    actions,
  });
  const groupEditor = new GroupEditor({ store, groups, groupPortals, logger: logger.child("group-editor") });
  const timers = new TimersFromMatrix({
    store,
    logins,
    relay,
    groupEditor,
    portals,
    disappearing,
    showSent: (login, portal, message, sentAt) =>
      signalToMatrix.sentFromMatrix(login, portal, message, sentAt),
    logger: logger.child("timers"),
  });
  const leaves = new LeaveConfirmations({
    store,
    logins,
    editor: groupEditor,
    tellUser: (userId, text) => tellUser(userId, text),
    logger: logger.child("group-leaves"),
  });
  const groupChanges = new GroupChangesFromMatrix({
    store,
    logins,
    groups,
    groupPortals,
    editor: groupEditor,
    portals,
    ghosts,
    download: (mxc) => media.fromMatrix(mxc),
    leaves,
    logger: logger.child("group-changes"),
  });
  const newChats = new NewChats({
    bridge,
    store,
    logins,
    ghosts,
    names,
    portals,
    groups,
    groupPortals,
    editor: groupEditor,
    download: (mxc) => media.fromMatrix(mxc),
    botUserId,
    logger: logger.child("new-chats"),
  });
  const portalEvents = new PortalEvents({
    commands: bot,
    messages: matrixToSignal,
    timers,
    groups: groupChanges,
  });
  const commandDeps = {
    store,
    logins,
    portals,
    ghosts,
    names,
    groups,
    groupPortals,
    discovery: signalPhoneNumberDiscovery,
    challenges,
    relay,
    logger: logger.child("commands"),
  };
  const afterLogin = async (userId: string) => {
    const login = logins.loginOf(userId);
    const report = login ? await syncChats(chatSyncDeps, login) : null;
    return report ? describeChatSync(report) : null;
  };
  const linking = new LinkSessions(logins, afterLogin, logger.child("login"));
  const ops = createOps({
    config,
    states,
    linking,
    store,
    logins,
    portals,
    ghosts,
    names,
    discovery: signalPhoneNumberDiscovery,
    botUserId,
    tellUser,
    logger: logger.child("ops"),
  });
  const loginCommandList = loginCommands(
    logins,
    linking,
    actions,
    logger.child("login"),
    ops.loginCommandOptions,
  );
  for (const command of [
    ...loginCommandList,
    ...accountCommands(commandDeps),
    disappearingTimerCommand(commandDeps, timers),
    leaves.command(),
    newChats.createCommand(),
  ]) {
    bot.register(command);
  }

  const handleEvent = async (event: WeakEvent) => {
    const portal = store.bridge.portalByRoom(event.room_id);
    if (portal) await portalEvents.handle(event, portal);
    else if (event.type === "m.room.member" && ghosts.aciOf(event.state_key ?? ""))
      await newChats.ghostInvited(event);
    else await bot.handleEvent(event);
  };
  const handleEntry = (entry: JournalEntry) =>
    entry.kind === "event"
      ? handleEvent(entry.event as unknown as WeakEvent)
      : ephemeral.handle(entry.event as unknown as EphemeralEvent);

  await bridge.listen(config.appservice.port, config.appservice.hostname, LISTEN_BACKLOG, appService);
  const http = bridge.appService.expressApp;
  servePing(http, registration.hs_token);
  ops.serve(http);
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
  // Only now: events journaled meanwhile (and before a restart) need the logins to be handled.
  rooms.resumeAll();
  journal.prune(JOURNAL_MEMORY_MS);
  const pruning = setInterval(() => journal.prune(JOURNAL_MEMORY_MS), JOURNAL_PRUNE_INTERVAL_MS);
  pruning.unref();

  return {
    botUserId,
    async stop() {
      clearInterval(pruning);
      disappearing.stop();
      ops.stop();
      await bridge.close();
      await rooms.stop();
      await logins.stopAll();
      await history.stopped();
      states.stop();
    },
  };
}
