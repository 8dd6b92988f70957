import type { Bridge, Intent } from "matrix-appservice-bridge";
import type { Logger } from "../logger.js";
import type { BridgeTables, PortalRow } from "../store/index.js";
import { DISAPPEARING_TIMER_EVENT } from "./disappearing-messages.js";
import type { Ghosts } from "./ghosts.js";
import type { RoomSender, SendingUser } from "./matrix/room-sender.js";
import { retryVerdictOf } from "./retry-policy.js";

/** What a group portal shows about its Signal group. */
export interface GroupInfo {
  /** Base64 of the group identifier (the same for every member). */
  id: string;
  title: string;
  description?: string | undefined;
}

/** Joining users' own accounts to their portals, when the bridge may act as them (double puppets). */
export interface PortalPuppets {
  /** Joins `userId` to a room they were invited to; false if the bridge may not act as them. */
  join(userId: string, roomId: string): Promise<boolean>;
  markDirect(userId: string, roomId: string, contactUserId: string): Promise<void>;
}

const protocol = { id: "signal", displayname: "Signal", external_url: "https://signal.org/" };

/** The state that makes a new room encrypted (Megolm, the only algorithm clients use). */
const ENCRYPTION_STATE = {
  type: "m.room.encryption",
  state_key: "",
  content: { algorithm: "m.megolm.v1.aes-sha2" },
};

export interface PortalOptions {
  /** Sends every event into portals (encrypting it in encrypted rooms). */
  sender: RoomSender;
  /** Whether new portals are created encrypted (encryption.default). */
  encryptNew: boolean;
  /** Users' own accounts, joined to their portals directly when the bridge may act as them. */
  puppets: PortalPuppets;
  /** Puts a portal into the user's personal space (bridge.personal_filtering_spaces); none when off. */
  addToSpace?(userId: string, roomId: string): Promise<void>;
}

/**
 * Portals: one Matrix room per Signal chat. A direct chat belongs to one Matrix user and is
 * created by the contact's ghost; a group portal is shared by every linked member of the group.
 */
export class Portals {
  /** Users known to be invited to or in a group portal during this run (saves repeated invites). */
  private readonly invited = new Set<string>();
  /** Users whose own accounts were joined to a group portal during this run. */
  private readonly puppetJoined = new Set<string>();
  /** Portal creation in progress, so concurrent messages of a new chat create one room. */
  private readonly creating = new Map<string, Promise<PortalRow>>();
  /** Direct portals the bot is known to have joined (to read what is sent there encrypted). */
  private readonly botJoined = new Set<string>();

  constructor(
    private readonly bridge: Bridge,
    private readonly tables: BridgeTables,
    private readonly ghosts: Ghosts,
    private readonly botUserId: string,
    private readonly logger: Logger,
    private readonly options: PortalOptions,
  ) {}

  static directKey(userId: string, contactAci: string): string {
    return `direct:${userId}:${contactAci}`;
  }

  static groupKey(groupId: string): string {
    return `group:${groupId}`;
  }

  /** The direct chat of `userId` with `contactAci`, created on first use. */
  direct(userId: string, contactAci: string, contactName: string): Promise<PortalRow> {
    const key = Portals.directKey(userId, contactAci);
    return this.findOrCreate(key, async () => {
      const intent = this.bridge.getIntent(this.ghosts.userIdOf(contactAci));
      const encrypted = this.options.encryptNew;
      const { room_id: roomId } = (await intent.createRoom({
        createAsClient: true,
        options: {
          is_direct: true,
          preset: "private_chat",
          visibility: "private",
          name: contactName,
          // The bot decrypts what the user sends: it has to be in the room to be given the keys.
          invite: encrypted ? [userId, this.botUserId] : [userId],
          initial_state: [
            ...bridgeInfoState(this.botUserId, contactAci, contactName),
            ...(encrypted ? [ENCRYPTION_STATE] : []),
          ],
        },
      })) as { room_id: string };
      if (encrypted) await this.joinBot(roomId);
      await this.letUsersSetTimer(intent, roomId);
      const portal: PortalRow = {
        portalKey: key,
        roomId,
        kind: "direct",
        chatId: contactAci,
        receiver: userId,
        name: contactName,
        topic: undefined,
        avatarUrl: undefined,
      };
      // With a double puppet the user is in the room at once, and it is listed as a DM.
      if (await this.options.puppets.join(userId, roomId)) {
        await this.options.puppets.markDirect(userId, roomId, this.ghosts.userIdOf(contactAci));
      }
      await this.tables.savePortal(portal);
      this.logger.info(`created direct portal ${roomId} of ${userId} with ${contactAci}`);
      await this.options.addToSpace?.(userId, roomId);
      return portal;
    });
  }

  /**
   * The portal of a Signal group, created on first use; `userId` is invited if not yet, and joined
   * with their double puppet unless `answerInvite` (their account is only invited to the group:
   * joining the room is how they accept, so it is theirs to do).
   */
  async group(userId: string, group: GroupInfo, { answerInvite = false } = {}): Promise<PortalRow> {
    const key = Portals.groupKey(group.id);
    const portal = await this.findOrCreate(key, async () => {
      const { room_id: roomId } = (await this.bridge.getIntent().createRoom({
        createAsClient: true,
        options: {
          preset: "private_chat",
          visibility: "private",
          name: group.title,
          ...(group.description ? { topic: group.description } : {}),
          invite: [userId],
          initial_state: [
            ...bridgeInfoState(this.botUserId, group.id, group.title),
            ...(this.options.encryptNew ? [ENCRYPTION_STATE] : []),
          ],
        },
      })) as { room_id: string };
      this.invited.add(`${roomId}\0${userId}`);
      const created: PortalRow = {
        portalKey: key,
        roomId,
        kind: "group",
        chatId: group.id,
        receiver: undefined,
        name: group.title,
        topic: group.description,
        avatarUrl: undefined,
      };
      await this.tables.savePortal(created);
      this.logger.info(`created group portal ${roomId} for group ${group.id}`);
      return created;
    });
    await this.ensureInvited(portal.roomId, userId);
    if (!answerInvite) await this.ensurePuppetJoined(portal.roomId, userId);
    await this.options.addToSpace?.(userId, portal.roomId);
    return portal;
  }

  /**
   * Makes a room users created into a portal (a chat started from Matrix): the bridge remembers it,
   * and the room says which network it belongs to when whoever speaks for the bridge there may.
   */
  async adopt(portal: PortalRow): Promise<void> {
    await this.tables.savePortal(portal);
    const intent = this.adminIntent(portal);
    for (const { type, state_key: stateKey, content } of bridgeInfoState(
      this.botUserId,
      portal.chatId,
      portal.name ?? "",
    )) {
      await intent.sendStateEvent(portal.roomId, type, stateKey, content).catch((error: unknown) => {
        if (retryVerdictOf(error).transient) throw error;
        this.logger.debug(`no bridge info in ${portal.roomId}: ${(error as Error).message}`);
      });
    }
    this.logger.info(`room ${portal.roomId} is now the portal ${portal.portalKey}`);
  }

  /** Invites the owner of a direct chat again (e.g. after they left it); the contact's ghost invites. */
  async inviteToDirect(portal: PortalRow, userId: string): Promise<void> {
    await this.ensureInvited(portal.roomId, userId, this.ghosts.userIdOf(portal.chatId));
  }

  /**
   * Posts a notice in a portal: from the contact's ghost in a direct chat (the bot is not in
   * those), from the bot in a group.
   */
  async notice(portal: PortalRow, text: string, html?: string): Promise<string> {
    return this.sendAsBridge(portal, "m.room.message", {
      msgtype: "m.notice",
      body: text,
      ...(html ? { format: "org.matrix.custom.html", formatted_body: html } : {}),
    });
  }

  /**
   * Sends an event of the bridge's own (a notice, a message status) as whoever can post in the
   * portal; resolves to its event ID.
   */
  async sendAsBridge(
    portal: PortalRow,
    eventType: string,
    content: Record<string, unknown>,
  ): Promise<string> {
    return this.send(this.adminIntent(portal), portal, eventType, content);
  }

  /** The display name `userId` has in the portal's room, if they set one. */
  async displayNameIn(portal: PortalRow, userId: string): Promise<string | undefined> {
    try {
      const member = (await this.adminIntent(portal).matrixClient.getRoomStateEvent(
        portal.roomId,
        "m.room.member",
        userId,
      )) as { displayname?: unknown };
      return typeof member.displayname === "string" && member.displayname !== ""
        ? member.displayname
        : undefined;
    } catch (error) {
      this.logger.debug(`no member event of ${userId} in ${portal.roomId}: ${(error as Error).message}`);
      return undefined;
    }
  }

  /**
   * Stops bridging a portal: a last notice, the bridge's users (ghosts, bot, and last whoever holds
   * power) leave the room, and the bridge forgets it. Its Signal chat is not touched; the next
   * message there opens a new portal.
   */
  async forget(portal: PortalRow, notice: string): Promise<void> {
    const admin = this.adminIntent(portal);
    const roomId = portal.roomId;
    await this.notice(portal, notice).catch((error: unknown) =>
      this.logger.debug(`last notice in ${roomId}: ${(error as Error).message}`),
    );
    const members = await admin.matrixClient.getJoinedRoomMembers(roomId);
    const ours = members.filter(
      (userId) =>
        userId !== admin.userId && (userId === this.botUserId || this.ghosts.aciOf(userId) !== undefined),
    );
    // Left directly: the library's Intent.leave registers the user first, which a homeserver
    // may refuse for an existing one.
    for (const userId of [...ours, admin.userId]) {
      await this.bridge
        .getIntent(userId)
        .matrixClient.leaveRoom(roomId)
        .catch((error: unknown) => {
          if (retryVerdictOf(error).transient) throw error;
          this.logger.debug(`${userId} leaving ${roomId}: ${(error as Error).message}`);
        });
    }
    await this.tables.deletePortal(portal.portalKey);
    for (const marker of this.invited) if (marker.startsWith(`${roomId}\0`)) this.invited.delete(marker);
    this.botJoined.delete(roomId);
    this.logger.info(`forgot portal ${roomId} (${portal.portalKey})`);
  }

  /**
   * Sends an event into a portal as `intent` (see RoomSender.send for `idempotencyKey`). In an
   * encrypted portal the bot joins first, so that Matrix users' clients share their keys with it.
   */
  async send(
    intent: SendingUser,
    portal: PortalRow,
    eventType: string,
    content: Record<string, unknown>,
    idempotencyKey?: string,
    timestamp?: number,
  ): Promise<string> {
    if (await this.options.sender.encrypts(portal.roomId, intent.userId)) await this.ensureBotJoined(portal);
    return this.options.sender.send(intent, portal.roomId, eventType, content, idempotencyKey, timestamp);
  }

  /** Whether what is sent into the portal is encrypted (media are uploaded encrypted then). */
  encrypts(portal: PortalRow): Promise<boolean> {
    return this.options.sender.encrypts(portal.roomId, this.inviterOf(portal));
  }

  /**
   * Brings the bot into a direct portal (group portals are the bot's own): a portal that became
   * encrypted needs it there to read what Matrix users send.
   */
  async ensureBotJoined(portal: PortalRow): Promise<void> {
    if (portal.kind === "group" || this.botJoined.has(portal.roomId)) return;
    await this.ensureInvited(portal.roomId, this.botUserId, this.inviterOf(portal));
    await this.joinBot(portal.roomId);
  }

  private async joinBot(roomId: string): Promise<void> {
    await this.bridge.getIntent().join(roomId);
    this.botJoined.add(roomId);
  }

  /**
   * Who holds power in a portal (room state, redacting anyone's events): the contact's ghost in a
   * direct chat, which created it, and the bot in a group.
   */
  adminIntent(portal: PortalRow): Intent {
    return this.bridge.getIntent(this.inviterOf(portal));
  }

  /**
   * Makes sure a ghost can speak in a portal. Portals are invite-only: the bot invites into
   * groups, the contact's ghost into its direct chat (e.g. the user's own ghost for messages they
   * sent from their phone).
   */
  async ensureGhostJoined(portal: PortalRow, ghostUserId: string): Promise<void> {
    const inviter = this.inviterOf(portal);
    if (inviter !== ghostUserId) await this.ensureInvited(portal.roomId, ghostUserId, inviter);
    await this.bridge.getIntent(ghostUserId).join(portal.roomId);
  }

  /**
   * The chat's disappearing-messages timer is the user's to set in a direct chat (Signal lets
   * either side): room state that needs no more than the default power level.
   */
  private async letUsersSetTimer(intent: Intent, roomId: string): Promise<void> {
    const levels = (await intent.matrixClient.getRoomStateEvent(roomId, "m.room.power_levels", "")) as {
      events?: Record<string, number>;
    };
    await intent.sendStateEvent(roomId, "m.room.power_levels", "", {
      ...levels,
      events: { ...levels.events, [DISAPPEARING_TIMER_EVENT]: 0 },
    });
  }

  private inviterOf(portal: PortalRow): string {
    return portal.kind === "direct" ? this.ghosts.userIdOf(portal.chatId) : this.botUserId;
  }

  /** Joins a user with a double puppet to a portal they are invited to, once per run. */
  async ensurePuppetJoined(roomId: string, userId: string): Promise<void> {
    const marker = `${roomId}\0${userId}`;
    if (this.puppetJoined.has(marker)) return;
    await this.options.puppets.join(userId, roomId);
    this.puppetJoined.add(marker);
  }

  private async ensureInvited(roomId: string, userId: string, inviter = this.botUserId): Promise<void> {
    const marker = `${roomId}\0${userId}`;
    if (this.invited.has(marker)) return;
    const inviterIntent = this.bridge.getIntent(inviter);
    const members = await inviterIntent.matrixClient.getJoinedRoomMembers(roomId);
    if (!members.includes(userId)) {
      await inviterIntent.invite(roomId, userId).catch((error: unknown) => {
        // Already invited is fine; anything else will surface when they try to speak.
        this.logger.debug(`inviting ${userId} to ${roomId}: ${(error as Error).message}`);
      });
    }
    this.invited.add(marker);
  }

  private findOrCreate(key: string, create: () => Promise<PortalRow>): Promise<PortalRow> {
    // Registered before the first await: a second caller joins this lookup (and the creation it
    // may lead to) instead of reading the table before the first one stored the portal.
    const pending = this.creating.get(key);
    if (pending) return pending;
    const finding = (async () => (await this.tables.portalByKey(key)) ?? (await create()))().finally(() =>
      this.creating.delete(key),
    );
    this.creating.set(key, finding);
    return finding;
  }
}

/** The state key of a portal's `m.bridge` event; message status events name it as their network. */
export function bridgeInfoStateKey(chatId: string): string {
  return `signal/${chatId}`;
}

/** `m.bridge` and its older name, so clients can show which network a room belongs to. */
function bridgeInfoState(botUserId: string, chatId: string, chatName: string) {
  const content = {
    bridgebot: botUserId,
    protocol,
    channel: { id: chatId, displayname: chatName },
  };
  const stateKey = bridgeInfoStateKey(chatId);
  return [
    { type: "m.bridge", state_key: stateKey, content },
    { type: "uk.half-shot.bridge", state_key: stateKey, content },
  ];
}
