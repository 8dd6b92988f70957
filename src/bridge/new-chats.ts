import type { Bridge, WeakEvent } from "matrix-appservice-bridge";
import type { Logger } from "../logger.js";
import type { Store } from "../store/index.js";
import type { BotCommand } from "./bot-commands.js";
import { requireLogin, roomLink } from "./commands/command-deps.js";
import type { ContactNameDirectory } from "./contact-names.js";
import { bestName, type Ghosts } from "./ghosts.js";
import { type GroupDirectory, groupInfoOf } from "./group-directory.js";
import type { GroupPortalSync } from "./group-portal-sync.js";
import type { GroupEditor } from "./groups/index.js";
import type { LoginManager } from "./logins.js";
import { Portals } from "./portals.js";

export interface NewChatsOptions {
  bridge: Bridge;
  store: Store;
  logins: LoginManager;
  ghosts: Ghosts;
  names: ContactNameDirectory;
  portals: Portals;
  groups: GroupDirectory;
  groupPortals: GroupPortalSync;
  editor: GroupEditor;
  /** The bytes of a Matrix file (the room avatar of a new group). */
  download(mxc: string): Promise<Uint8Array>;
  botUserId: string;
  logger: Logger;
}

/** The power level the bot needs in a room it is to keep in step with a group. */
const BOT_POWER_NEEDED = 100;

interface StateEvent {
  type: string;
  state_key: string;
  content: Record<string, unknown>;
}

/**
 * Chats started from Matrix: a direct chat with a contact's ghost (Element's "Start chat" invites
 * it) becomes that contact's direct portal, and `create` in a room with contacts' ghosts invited
 * makes a Signal group of it (name, topic, avatar, members) whose portal the room becomes.
 */
export class NewChats {
  constructor(private readonly options: NewChatsOptions) {}

  /** A user invited a ghost to a room that is no portal: a direct chat invite makes a direct portal. */
  async ghostInvited(event: WeakEvent): Promise<void> {
    const { ghosts, logins, names, store, portals, logger } = this.options;
    const aci = event.state_key ? ghosts.aciOf(event.state_key) : undefined;
    if (!aci || event.content["membership"] !== "invite" || event.content["is_direct"] !== true) return;
    const userId = event.sender;
    const roomId = event.room_id;
    const login = logins.loginOf(userId);
    const contactNames = login ? await names.namesOf(login, aci) : undefined;
    const name = bestName(contactNames);
    const intent = await ghosts.ensure(aci, contactNames);
    await intent.join(roomId);
    const say = (text: string) => intent.sendMessage(roomId, { msgtype: "m.notice", body: text });
    const leave = () => intent.matrixClient.leaveRoom(roomId);
    if (!login) {
      await say(
        'You are not logged in to Signal, so this chat cannot be bridged. Send "login" to the bridge bot first.',
      );
      await leave();
      return;
    }
    const existing = await store.bridge.portalByKey(Portals.directKey(userId, aci));
    if (existing && existing.roomId !== roomId) {
      await portals.inviteToDirect(existing, userId);
      await say(
        `You already have a Signal chat with ${name}: ${roomLink(existing.roomId)} (you are invited there again).`,
      );
      await leave();
      return;
    }
    await portals.adopt({
      portalKey: Portals.directKey(userId, aci),
      roomId,
      kind: "direct",
      chatId: aci,
      receiver: userId,
      name,
      topic: undefined,
      avatarUrl: undefined,
    });
    logger.info(`${userId} started a Signal chat with ${aci} in ${roomId}`);
    await say(`This room is now your Signal chat with ${name}.`);
  }

  /** `create`: a Signal group from the room it is sent in, which becomes the group's portal. */
  createCommand(): BotCommand {
    return {
      name: "create",
      summary:
        "In a room with contacts' ghosts invited: create a Signal group from it (name, topic, avatar, members); the room becomes its portal.",
      needs: "user",
      run: async ({ roomId, sender, reply }) => {
        const { store, logins, bridge, botUserId, groups, groupPortals, editor, portals } = this.options;
        if (await store.bridge.portalByRoom(roomId))
          return reply("This room is bridged to a Signal chat already.");
        const login = await requireLogin(logins, sender, reply);
        if (!login) return;
        const state = (await bridge.getIntent().matrixClient.getRoomState(roomId)) as StateEvent[];
        const content = (type: string) =>
          state.find((e) => e.type === type && e.state_key === "")?.content ?? {};
        const levels = content("m.room.power_levels") as {
          users?: Record<string, number>;
          users_default?: number;
        };
        if ((levels.users?.[botUserId] ?? levels.users_default ?? 0) < BOT_POWER_NEEDED) {
          return reply(
            `Give me (${botUserId}) power level ${BOT_POWER_NEEDED} in this room first: I keep its name, members and permissions in step with the group.`,
          );
        }
        const title =
          typeof content("m.room.name")["name"] === "string"
            ? String(content("m.room.name")["name"]).trim()
            : "";
        if (!title) return reply("Name this room first: a Signal group needs a name.");
        const topic =
          typeof content("m.room.topic")["topic"] === "string"
            ? String(content("m.room.topic")["topic"])
            : "";
        const avatarUrl =
          typeof content("m.room.avatar")["url"] === "string" ? String(content("m.room.avatar")["url"]) : "";
        const memberAcis = state
          .filter(
            (e) => e.type === "m.room.member" && ["invite", "join"].includes(String(e.content["membership"])),
          )
          .map((e) => this.options.ghosts.aciOf(e.state_key))
          .filter((aci): aci is string => aci !== undefined);
        const group = await groups.create(login, {
          title,
          description: topic || undefined,
          avatar: avatarUrl ? await this.options.download(avatarUrl) : undefined,
          memberAcis,
        });
        const info = groupInfoOf(group);
        const portal = {
          portalKey: Portals.groupKey(info.id),
          roomId,
          kind: "group" as const,
          chatId: info.id,
          receiver: undefined,
          name: info.title,
          topic: info.description,
          avatarUrl: avatarUrl || undefined,
        };
        await portals.adopt(portal);
        // The room shows the avatar the group was made with; nothing to fetch back.
        await store.bridge.setGroupPortalState(portal.portalKey, {
          revision: -1,
          noticeRevision: group.revision,
          avatarKey: group.avatarKey ?? undefined,
        });
        await groupPortals.portalOf(login, group.masterKey);
        await editor.announce(login, group);
        const invited = group.pendingMembers.length;
        await reply(
          `Created the Signal group "${info.title}" with ${group.members.length} member(s)` +
            `${invited > 0 ? ` and ${invited} invited (your account lacks their profile keys)` : ""}. This room is its portal now.`,
        );
      },
    };
  }
}
