import type { Logger } from "../logger.js";
import {
  groupIdOf,
  type SignalEventOf,
  sendMessageRequestResponse,
  type StorageServiceSnapshot,
} from "../signal/index.js";
import type { PortalRow, Store } from "../store/index.js";
import type { GroupDirectory } from "./group-directory.js";
import type { Login } from "./logins.js";
import { Portals } from "./portals.js";

export interface MessageRequestsOptions {
  store: Store;
  groups: GroupDirectory;
  portals: Portals;
  logger: Logger;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/**
 * Message requests and blocked chats, as Signal's apps handle them: someone who is no contact and
 * shares no group with the user opens a direct portal marked as a request, where nothing goes back
 * (messages, read receipts, typing) until the user accepts it; blocked contacts and groups (on the
 * phone, or with the block command) are not bridged at all.
 */
export class MessageRequests {
  constructor(private readonly options: MessageRequestsOptions) {}

  /** Whether `userId` blocked the chat (a contact's ACI or a base64 group id): its events are dropped. */
  async isBlocked(userId: string, chatId: string): Promise<boolean> {
    return (await this.options.store.bridge.chatState(userId, chatId)) === "blocked";
  }

  /** Whether a portal is a message request the user has not answered yet. */
  async isPending(portal: PortalRow): Promise<boolean> {
    return portal.kind === "direct" && (await this.options.store.bridge.isMessageRequest(portal.portalKey));
  }

  /**
   * A direct portal the contact's first message just opened: a request, with a notice saying what
   * to do, when the user does not know them.
   */
  async opened(login: Login, portal: PortalRow, contactName: string): Promise<void> {
    if (await this.knows(login, portal.chatId)) return;
    await this.options.store.bridge.setMessageRequest(portal.portalKey, true);
    this.options.logger.info(`${portal.roomId} is a message request from ${portal.chatId}`);
    await this.options.portals.notice(
      portal,
      `Message request: ${contactName} is not in your Signal contacts and is in no group with you. ` +
        "They do not see that you read their messages. Send !signal accept to accept it and reply, " +
        "or !signal block to block them.",
    );
  }

  /** The user accepted the request (a command, or a reply from the phone). */
  async accept(userId: string, portal: PortalRow): Promise<void> {
    await this.options.store.bridge.setMessageRequest(portal.portalKey, false);
    await this.options.store.bridge.setChatState(userId, portal.chatId, "accepted");
  }

  /**
   * Answers the portal's chat as `login`'s user, and tells the phone, which follows: accepting its
   * request, blocking it, or unblocking it.
   */
  async answer(login: Login, portal: PortalRow, answer: "accept" | "block" | "unblock"): Promise<void> {
    const { store } = this.options;
    const chat =
      portal.kind === "direct" ? { aci: portal.chatId } : { groupId: Buffer.from(portal.chatId, "base64") };
    if (answer === "accept") await this.accept(login.userId, portal);
    else if (answer === "block") await store.bridge.setChatState(login.userId, portal.chatId, "blocked");
    else {
      await store.bridge.setChatState(login.userId, portal.chatId, "accepted");
      if (portal.kind === "direct") await store.bridge.setMessageRequest(portal.portalKey, false);
    }
    await sendMessageRequestResponse(
      login.client,
      chat,
      answer,
      await store.bridge.nextSignalTimestamp(login.userId),
    );
  }

  /** What the phone keeps in the storage service: who is blocked, and whose requests it accepted. */
  async followStorage(userId: string, snapshot: StorageServiceSnapshot): Promise<void> {
    const { store } = this.options;
    for (const contact of snapshot.contacts) {
      if (!contact.aci) continue;
      const state = await store.bridge.chatState(userId, contact.aci);
      if (contact.blocked) await store.bridge.setChatState(userId, contact.aci, "blocked");
      else if (contact.whitelisted) await this.acceptChat(userId, contact.aci);
      else if (state === "blocked") await store.bridge.setChatState(userId, contact.aci, undefined);
    }
    for (const group of snapshot.groups) {
      const groupId = groupIdOf(group.masterKey);
      if (group.blocked) await store.bridge.setChatState(userId, groupId, "blocked");
      else if ((await store.bridge.chatState(userId, groupId)) === "blocked")
        await store.bridge.setChatState(userId, groupId, undefined);
    }
  }

  /** The phone's blocked list (a sync message): exactly these contacts and groups are blocked. */
  async followBlockedList(userId: string, event: SignalEventOf<"sync-blocked">): Promise<void> {
    const { store } = this.options;
    const blocked = new Set([...event.acis, ...event.groupIds.map(base64)]);
    const known = [
      ...(await store.bridge.portalsOf(userId)).map((p) => p.chatId),
      ...(await store.bridge.groupPortals()).map((p) => p.chatId),
    ];
    for (const chatId of known) {
      if (!blocked.has(chatId) && (await store.bridge.chatState(userId, chatId)) === "blocked") {
        await store.bridge.setChatState(userId, chatId, undefined);
      }
    }
    for (const chatId of blocked) await store.bridge.setChatState(userId, chatId, "blocked");
  }

  /** The phone answered a chat's message request. */
  async followPhoneAnswer(userId: string, event: SignalEventOf<"sync-message-request">): Promise<void> {
    const chatId = event.threadAci ?? (event.groupId ? base64(event.groupId) : undefined);
    if (!chatId) return;
    if (event.response === "block") await this.options.store.bridge.setChatState(userId, chatId, "blocked");
    else if (event.response === "accept") await this.acceptChat(userId, chatId);
  }

  private async acceptChat(userId: string, chatId: string): Promise<void> {
    const { store } = this.options;
    await store.bridge.setChatState(userId, chatId, "accepted");
    const portal = await store.bridge.portalByKey(Portals.directKey(userId, chatId));
    if (portal) await store.bridge.setMessageRequest(portal.portalKey, false);
  }

  /** Whether the user knows the contact: accepted before, in the phone's contacts, or in a group with them. */
  private async knows(login: Login, aci: string): Promise<boolean> {
    const { store, groups } = this.options;
    if ((await store.bridge.chatState(login.userId, aci)) === "accepted") return true;
    const recipient = await (await store.signalStorage(login.userId)).getRecipient(aci);
    if (recipient?.contactName) return true;
    for (const portal of await store.bridge.groupPortals()) {
      const group = await groups.byId(login, portal.chatId).catch(() => undefined);
      const members = group?.members ?? [];
      if (members.some((m) => m.aci === aci) && members.some((m) => m.aci === login.client.account.aci))
        return true;
    }
    return false;
  }
}
