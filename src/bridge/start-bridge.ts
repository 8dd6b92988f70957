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
import { useNodeHttpForMatrix } from "./matrix-http-client.js";
import { accountCommands } from "./commands/account-commands.js";
import { describeChatSync } from "./commands/sync-command.js";
import { joinCommand } from "./commands/join-command.js";
import { disappearingTimerCommand } from "./commands/timer-command.js";
import { LinkSessions } from "./link-sessions.js";
import { loginCommands } from "./login-commands.js";
import { LoginManager } from "./logins.js";
import { type EphemeralEvent, MatrixEphemeral } from "./matrix-ephemeral.js";
import { registerBotAccount } from "./crypto/bot-device.js";
// Loaded only with encryption.allow: matrix-sdk-crypto-wasm and fake-indexeddb cost memory.
import type { BridgeCrypto, RoomEvent } from "./crypto/bridge-crypto.js";
import { UndecryptableEventError } from "./crypto/undecryptable.js";
import { ENCRYPTION_OFF_NOTICE, ENCRYPTION_REQUIRED_NOTICE } from "./crypto/encryption-notices.js";
import { JournalingAppService } from "./matrix/journaling-appservice.js";
import { RoomQueues } from "./matrix/room-queues.js";
import { type RoomEncryption, RoomSender } from "./matrix/room-sender.js";
import { isOpaqueJoinFailure } from "./retry-policy.js";
import { MatrixToSignal } from "./matrix-to-signal.js";
import { MediaRelay } from "./media.js";
import { NewChats } from "./new-chats.js";
import type { RelayOutcome } from "./relay-outcome.js";
import { MessageRequests } from "./message-requests.js";
import { MessageStatusReporter } from "./message-status.js";
import { signalPhoneNumberDiscovery } from "./phone-number-lookup.js";
import { bridgeStates, createOps, Monitoring } from "./ops/index.js";
import { PortalEvents } from "./portal-events.js";
import { DoublePuppets, PersonalSpaces } from "./puppets/index.js";
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
  const { allow, default: encryptNew, require } = config.encryption;
  if (allow || !(encryptNew || require)) return;
  throw new UnsupportedConfigError(
    `encryption.${require ? "require" : "default"} is true, but encryption.allow is false; ` +
      "set encryption.allow to true as well (the bridge then takes part in encrypted rooms), or turn the other off.",
  );
}

/** Message-like events: what encryption.require refuses when it comes unencrypted. */
const MESSAGE_TYPES = new Set([
  "m.room.message",
  "m.sticker",
  "m.reaction",
  "org.matrix.msc3381.poll.start",
  "org.matrix.msc3381.poll.response",
  "org.matrix.msc3381.poll.end",
]);

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
  useNodeHttpForMatrix();
  routeLibraryLogs(logger, config.logging.level, LibraryLogger.root);
  const environment = signalEnvironmentFrom(config);
  const botUserId = `@${config.appservice.bot.localpart}:${config.homeserver.domain}`;

  const monitoring = await Monitoring.create({ config, store, logger: logger.child("monitoring") });
  const journal = store.matrixJournal;
  const doublePuppets = new DoublePuppets({
    homeserverUrl: config.homeserver.url,
    serverName: config.homeserver.domain,
    secrets: config.double_puppet.secrets,
    servers: config.double_puppet.servers,
    bridgeId: config.appservice.id,
    tokens: store.doublePuppets,
    logger: logger.child("double-puppets"),
  });
  await doublePuppets.loadTokens();
  // Started once the homeserver is up (below); nothing encrypts or decrypts before.
  let crypto: BridgeCrypto | undefined;
  const encryption: RoomEncryption | undefined = config.encryption.allow
    ? {
        isEncrypted: (roomId, asUserId) => cryptoReady().isEncrypted(roomId, asUserId),
        encrypt: (roomId, asUserId, type, content) => cryptoReady().encrypt(roomId, asUserId, type, content),
      }
    : undefined;
  let cryptoUp: (crypto: BridgeCrypto | undefined) => void = () => undefined;
  const cryptoStarted = new Promise<BridgeCrypto | undefined>((resolve) => (cryptoUp = resolve));
  const cryptoReady = () => {
    if (!crypto) throw new Error("end-to-bridge encryption is not started yet");
    return crypto;
  };
  const sender = new RoomSender(encryption);
  // Transactions arrive only after listen(), when `ghosts` below exists.
  const isBridgeUser = (userId: string) => userId === botUserId || ghosts.aciOf(userId) !== undefined;
  // Entries are handled only after resumeAll() below, when everything handleEntry uses exists.
  const rooms = new RoomQueues({
    journal,
    concurrency: ROOMS_IN_PARALLEL,
    logger: logger.child("matrix-events"),
    handle: (entry) => handleEntry(entry),
    reconsider: (error) => homeserverAwayBehind(error),
    onSettled: (entry, outcome) => monitoring.matrixEventSettled(entry, outcome),
  });
  const appService = new JournalingAppService({
    homeserverToken: registration.hs_token,
    journal,
    isBridgeUser,
    isOwnEcho: (content) => doublePuppets.isOwnEcho(content),
    withoutSecrets: (event) => doublePuppets.withoutSecrets(event),
    onJournaled: (intake) => intake.rooms.forEach((roomId) => rooms.kick(roomId)),
    onRoomEvent: (event) => crypto?.noteRoomEvent(event as unknown as RoomEvent),
    // Device data waits for the bot's device to be ready: the homeserver waits for the answer.
    onDeviceData: config.encryption.allow
      ? async (data) => (await cryptoStarted)?.receiveTransaction(data)
      : undefined,
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
  const actions = botActions(bridge, sender, async (roomId, text, html) => {
    const portal = await store.bridge.portalByRoom(roomId);
    return portal ? portals.notice(portal, text, html) : undefined;
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
  const spaces = new PersonalSpaces({
    tables: store.bridge,
    bot: () => bridge.getIntent(),
    serverName: config.homeserver.domain,
    joinAsUser: (userId, roomId) => doublePuppets.join(userId, roomId),
    logger: logger.child("spaces"),
  });
  const portals = new Portals(bridge, store.bridge, ghosts, botUserId, logger.child("portals"), {
    sender,
    encryptNew: config.encryption.default || config.encryption.require,
    puppets: doublePuppets,
    ...(config.bridge.personal_filtering_spaces
      ? { addToSpace: (userId: string, roomId: string) => spaces.add(userId, roomId) }
      : {}),
  });
  const groups = new GroupDirectory(store, logger.child("groups"));
  const names = new ContactNameDirectory(store, logger.child("names"), {
    profileRefreshMs: config.signal.profile_refresh_minutes * 60_000,
    // Only ghosts that exist: a new contact's ghost is made by what brought them, with these names.
    onRefreshed: async (_login, aci, contactNames) => {
      if (await ghosts.known(aci)) await ghosts.ensure(aci, contactNames);
    },
  });
  const media = new MediaRelay(
    bridge,
    config.media.max_size_mb * 1024 * 1024,
    logger.child("media"),
    config.media.ffmpeg_path,
  );
  const status = new MessageStatusReporter(portals, store.bridge, logger.child("message-status"), {
    statusEvents: config.bridge.message_status_events,
    deliveryReceipts: config.bridge.delivery_receipts,
  });
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
  const requests = new MessageRequests({ store, groups, portals, logger: logger.child("message-requests") });
  const chatSyncDeps = {
    store,
    requests,
    portals,
    ghosts,
    names,
    groupPortals,
    logger: logger.child("chat-sync"),
  };
  /** Tells a user something in their management room; nothing when they have none. */
  const tellUser = async (userId: string, text: string, html?: string) => {
    const roomId = await store.bridge.managementRoomOf(userId);
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
    requests,
    linkedUserOf: (aci): string | undefined => logins.userIdOfAci(aci),
    doublePuppets,
    logger: logger.child("signal->matrix"),
  });
  const notifyUser = async (userId: string, text: string) => {
    const roomId = await store.bridge.managementRoomOf(userId);
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
      return signalToMatrix.handle(login, event);
    },
    reconsiderFailure: (error) => homeserverAwayBehind(error),
    onIdentityChange: (login, serviceId) => signalToMatrix.identityChanged(login, serviceId),
    onLoginEvent: (userId, event) => states.handle(userId, event),
    acceptHistoryTransfer: config.backfill.enabled,
    onStarting: (login, start) => history.starting(login, start),
    observer: monitoring.loginObserver,
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
    errorNotices: config.bridge.message_error_notices,
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
    isOwnReceipt: (userId, roomId, eventId) => doublePuppets.isOwnReceipt(userId, roomId, eventId),
    logger: logger.child("ephemeral"),
  });
  const bot = new Bot({
    botUserId,
    permissions: config.permissions,
    logger: logger.child("bot"),
    isBridgeUser,
    onManagementRoom: (userId, roomId) => store.bridge.setManagementRoom(userId, roomId),
    isPortal: async (roomId) => (await store.bridge.portalByRoom(roomId)) !== undefined,
    encryptionAllowed: config.encryption.allow,
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
    requests,
    logins,
    portals,
    ghosts,
    names,
    groups,
    groupPortals,
    discovery: signalPhoneNumberDiscovery,
    challenges,
    relay,
    doublePuppets,
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
    joinCommand(commandDeps, groupEditor),
  ]) {
    bot.register(command);
  }

  const handleEvent = async (event: WeakEvent): Promise<RelayOutcome> => {
    const portal = await store.bridge.portalByRoom(event.room_id);
    if (portal) return portalEvents.handle(event, portal);
    if (event.type === "m.room.member" && ghosts.aciOf(event.state_key ?? "")) {
      await newChats.ghostInvited(event);
      return "ignored";
    }
    await bot.handleEvent(event);
    return "ignored";
  };
  const requireNoticed = new Set<string>();
  /** An event the bridge cannot read: a status for its sender, a notice for the room (once, if `once`). */
  const unreadable = async (event: RoomEvent, reason: string, once: boolean) => {
    const tell = !once || (await store.matrixCrypto.markEncryptionNotice(event.room_id));
    if (await store.bridge.portalByRoom(event.room_id)) {
      await matrixToSignal.unreadable(event as unknown as WeakEvent, reason, tell);
    } else if (tell && !isBridgeUser(event.sender)) {
      // Without encryption the bot's notice cannot be encrypted either; it goes out in the clear.
      if (once) await actions.sendPlainNotice(event.room_id, reason);
      else await actions.sendNotice(event.room_id, reason);
    }
  };
  const handleRoomEvent = async (event: RoomEvent): Promise<RelayOutcome> => {
    if (event.type === "m.room.encrypted") {
      if (!crypto) {
        logger.debug(`${event.event_id} in ${event.room_id} is encrypted; encryption is not allowed`);
        await unreadable(event, ENCRYPTION_OFF_NOTICE, true);
        return "failed";
      }
      let clear: RoomEvent;
      try {
        clear = await crypto.decrypt(event);
      } catch (error) {
        if (!(error instanceof UndecryptableEventError)) throw error;
        logger.warn(
          `could not decrypt ${event.event_id} from ${event.sender} in ${event.room_id}: ${error.message}`,
        );
        await unreadable(event, `Your message could not be decrypted by the bridge: ${error.message}`, false);
        return "failed";
      }
      monitoring.decrypted(clear as unknown as Record<string, unknown>);
      return handleEvent(clear as unknown as WeakEvent);
    }
    if (config.encryption.require && MESSAGE_TYPES.has(event.type) && !isBridgeUser(event.sender)) {
      if (!requireNoticed.has(event.room_id)) {
        requireNoticed.add(event.room_id);
        await unreadable(event, ENCRYPTION_REQUIRED_NOTICE, false);
      }
      return "failed";
    }
    if (event.type === "m.room.encryption" && crypto) {
      const portal = await store.bridge.portalByRoom(event.room_id);
      if (portal) await portals.ensureBotJoined(portal);
    }
    return handleEvent(event as unknown as WeakEvent);
  };
  const handleEntry = (entry: JournalEntry) =>
    entry.kind === "event"
      ? handleRoomEvent(entry.event as unknown as RoomEvent)
      : ephemeral.handle(entry.event as unknown as EphemeralEvent);

  await monitoring.start(logins);
  await bridge.listen(config.appservice.port, config.appservice.hostname, LISTEN_BACKLOG, appService);
  const http = bridge.appService.expressApp;
  servePing(http, registration.hs_token);
  ops.serve(http);
  monitoring.serveHealth(http);
  const listening = `${config.appservice.hostname}:${config.appservice.port}`;
  logger.info(`appservice listening on ${listening}`);

  const homeserverUrl = config.homeserver.url;
  monitoring.startupWaitsFor("the homeserver to answer");
  await waitForHomeserver({ homeserverUrl, logger });
  monitoring.startupWaitsFor("the homeserver to accept the registration");
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
  monitoring.startupWaitsFor("the bot to be registered");
  const botIntent = bridge.getIntent();
  if (config.encryption.allow) {
    await registerBotAccount(homeserverUrl, registration.as_token, botUserId).catch((error: unknown) =>
      logger.warn(
        `could not create the bot's account (${formatPart(error)}); if the bot's device is refused below, ` +
          "the bot was given a profile before its account existed: see docs/encryption.md",
      ),
    );
  }
  await botIntent.ensureRegistered();
  await ensureBotDisplayName(
    botIntent,
    config.appservice.bot.display_name,
    { url: homeserverUrl, asToken: registration.as_token },
    logger,
  );
  if (config.encryption.allow) {
    const { BridgeCrypto } = await import("./crypto/bridge-crypto.js");
    crypto = await BridgeCrypto.start({
      homeserverUrl,
      asToken: registration.as_token,
      botUserId,
      tables: store.matrixCrypto,
      isBridgeUser,
      logger: logger.child("crypto"),
    });
  }
  cryptoUp(crypto);
  logger.info(`bot ${botUserId} is ready`);
  monitoring.startupWaitsFor("the Signal logins to start");
  await disappearing.start();
  await logins.startAll();
  // Only now: events journaled meanwhile (and before a restart) need the logins to be handled.
  await rooms.resumeAll();
  monitoring.startupWaitsFor(undefined);
  await journal.prune(JOURNAL_MEMORY_MS);
  const pruning = setInterval(() => {
    journal
      .prune(JOURNAL_MEMORY_MS)
      .catch((error) => logger.warn("could not prune the Matrix journal", error));
  }, JOURNAL_PRUNE_INTERVAL_MS);
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
      await crypto?.stop();
      states.stop();
      await monitoring.stop();
    },
  };
}
