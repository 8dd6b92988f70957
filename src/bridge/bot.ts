import type { PermissionLevel } from "../config/index.js";
import type { Logger } from "../logger.js";
import { type BotCommand, helpCommand, parseCommand } from "./bot-commands.js";
import { ENCRYPTION_OFF_NOTICE, invitesToEncryptedRoom } from "./crypto/encryption-notices.js";
import { hasPermission, permissionLevelOf } from "./permissions.js";

/** The Matrix event fields the bot reads. */
export interface BotEvent {
  type: string;
  room_id: string;
  sender: string;
  event_id?: string;
  state_key?: string;
  content: Record<string, unknown>;
  unsigned?: Record<string, unknown>;
}

/** How the bot acts on Matrix; implemented with the bridge library's bot intent. */
export interface BotActions {
  join(roomId: string): Promise<void>;
  leave(roomId: string, reason: string): Promise<void>;
  /** Sends an m.notice (encrypted in an encrypted room when encryption is allowed); resolves to its event ID. */
  sendNotice(roomId: string, text: string, html?: string): Promise<string>;
  /** Sends an m.notice unencrypted, whatever the room: for rooms the bridge cannot encrypt in. */
  sendPlainNotice(roomId: string, text: string): Promise<string>;
  /** Uploads a PNG and sends it as an m.image; resolves to its event ID. */
  sendPng(roomId: string, png: Buffer, body: string): Promise<string>;
  redact(roomId: string, eventId: string, reason: string): Promise<void>;
  joinedMembers(roomId: string): Promise<string[]>;
}

export interface BotOptions {
  botUserId: string;
  permissions: Record<string, PermissionLevel>;
  actions: BotActions;
  logger: Logger;
  /** Tells whether a user ID belongs to the bridge (bot or ghost); their messages are never commands. */
  isBridgeUser(userId: string): boolean;
  /** A permitted user opened a direct chat with the bot: their management room. */
  onManagementRoom(userId: string, roomId: string): Promise<void>;
  /** Whether a room is a portal: there only prefixed commands count, whoever is in it. */
  isPortal?(roomId: string): Promise<boolean>;
  /** Whether the bridge takes part in encrypted rooms (encryption.allow). */
  encryptionAllowed: boolean;
}

const refusal =
  "You are not allowed to use this Signal bridge. Ask the bridge's administrator to add you or your server to `permissions` in its configuration.";

/**
 * The bridge bot: joins DMs from permitted users, and runs commands sent there (or prefixed with
 * `!signal` elsewhere). A DM with only the bot and the user is that user's management room.
 */
export class Bot {
  private readonly commands = new Map<string, BotCommand>();
  private readonly memberCounts = new Map<string, number>();

  constructor(private readonly options: BotOptions) {
    this.register(helpCommand(() => [...this.commands.values()]));
  }

  register(command: BotCommand): void {
    this.commands.set(command.name, command);
  }

  async handleEvent(event: BotEvent): Promise<void> {
    if (event.type === "m.room.member") {
      this.memberCounts.delete(event.room_id);
      if (event.state_key === this.options.botUserId && event.content["membership"] === "invite") {
        await this.onInvite(event);
      }
      return;
    }
    if (event.type === "m.room.message" && !this.options.isBridgeUser(event.sender)) {
      await this.onMessage(event);
    }
  }

  private async onInvite(event: BotEvent): Promise<void> {
    const { actions, logger } = this.options;
    const level = permissionLevelOf(event.sender, this.options.permissions);
    await actions.join(event.room_id);
    if (!this.options.encryptionAllowed && invitesToEncryptedRoom(event.unsigned)) {
      logger.info(
        `left encrypted room ${event.room_id} (invited by ${event.sender}): encryption is not allowed`,
      );
      await actions.sendPlainNotice(event.room_id, ENCRYPTION_OFF_NOTICE);
      await actions.leave(event.room_id, "this bridge is not set up for encrypted rooms");
      return;
    }
    if (level === undefined) {
      logger.info(`refused invite from ${event.sender} to ${event.room_id}: not permitted`);
      await actions.sendNotice(event.room_id, refusal);
      await actions.leave(event.room_id, "not permitted to use this bridge");
      return;
    }
    logger.info(`joined ${event.room_id} on invite from ${event.sender}`);
    if (event.content["is_direct"] === true) await this.options.onManagementRoom(event.sender, event.room_id);
    await actions.sendNotice(
      event.room_id,
      "Hello! I am the Signal bridge bot. Send help to see what I can do.",
    );
  }

  private async onMessage(event: BotEvent): Promise<void> {
    const body = event.content["body"];
    const msgtype = event.content["msgtype"];
    if (typeof body !== "string" || (msgtype !== "m.text" && msgtype !== "m.notice")) return;
    if (
      event.content["m.relates_to"] &&
      (event.content["m.relates_to"] as { rel_type?: string }).rel_type === "m.replace"
    ) {
      return;
    }
    const parsed = parseCommand(body, await this.isManagementRoom(event.room_id));
    if (!parsed) return;

    const { actions, logger } = this.options;
    const reply = async (text: string, html?: string) => {
      await actions.sendNotice(event.room_id, text, html);
    };
    const level = permissionLevelOf(event.sender, this.options.permissions);
    const command = this.commands.get(parsed.name);
    if (level === undefined) {
      await reply(refusal);
      return;
    }
    if (!command) {
      await reply(`Unknown command "${parsed.name}". Send help to see the commands.`);
      return;
    }
    if (!hasPermission(level, command.needs)) {
      await reply(
        `The ${command.name} command needs the "${command.needs}" permission level; yours is "${level}".`,
      );
      return;
    }
    logger.debug(`${event.sender} runs ${command.name} in ${event.room_id}`);
    try {
      await command.run({
        roomId: event.room_id,
        eventId: event.event_id ?? `${event.room_id}/${event.sender}/${Date.now()}`,
        sender: event.sender,
        senderLevel: level,
        args: parsed.args,
        reply,
      });
    } catch (error) {
      logger.error(`command ${command.name} from ${event.sender} failed`, error);
      await reply(`The ${command.name} command failed: ${(error as Error).message}`);
    }
  }

  /** A room where only the bot and one user are joined. */
  private async isManagementRoom(roomId: string): Promise<boolean> {
    if (await this.options.isPortal?.(roomId)) return false;
    let count = this.memberCounts.get(roomId);
    if (count === undefined) {
      count = (await this.options.actions.joinedMembers(roomId)).length;
      this.memberCounts.set(roomId, count);
    }
    return count <= 2;
  }
}
