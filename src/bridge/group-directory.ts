import type { Logger } from "../logger.js";
import { GroupsClient, type SignalClient, type SignalGroup } from "../signal/index.js";
import type { Login } from "./logins.js";
import type { GroupInfo } from "./portals.js";

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/**
 * The Signal groups each login has seen, fetched from the groups service by master key and kept
 * for the life of the process. Group messages name the master key; portals and sends use the id.
 */
export class GroupDirectory {
  private readonly groups = new Map<string, SignalGroup>();
  // Per Signal client: a new login of the same user has a new chat connection and account.
  private readonly clients = new WeakMap<SignalClient, GroupsClient>();

  constructor(private readonly logger: Logger) {}

  /** What a group portal shows, fetching the group the first time (or when it is newer). */
  async infoOf(login: Login, masterKey: Uint8Array, revision?: number): Promise<GroupInfo> {
    const group = await this.groupOf(login, masterKey, revision);
    return {
      id: base64(group.id),
      title: group.title || "Signal group",
      description: group.description || undefined,
    };
  }

  /** A group this login has seen, by its base64 id. */
  async byId(login: Login, groupId: string): Promise<SignalGroup> {
    const group = this.groups.get(`${login.userId}\0${groupId}`);
    if (!group) {
      throw new Error(
        "the bridge has not seen this group's key since it started; it will after the next message in it",
      );
    }
    return this.groupOf(login, group.masterKey);
  }

  private async groupOf(login: Login, masterKey: Uint8Array, revision?: number): Promise<SignalGroup> {
    const byKey = `${login.userId}\0key:${base64(masterKey)}`;
    const known = this.groups.get(byKey);
    if (known && (revision === undefined || known.revision >= revision)) return known;
    const client = await this.clientOf(login);
    const group = known ? (await client.update(known)).group : await client.fetchGroup(masterKey);
    this.groups.set(byKey, group);
    this.groups.set(`${login.userId}\0${base64(group.id)}`, group);
    this.logger.debug(`group ${base64(group.id)} of ${login.userId} at revision ${group.revision}`);
    return group;
  }

  private async clientOf(login: Login): Promise<GroupsClient> {
    let client = this.clients.get(login.client);
    if (!client) {
      const { aci, pni } = login.client.account;
      client = new GroupsClient({ environment: login.client.environment, chat: login.client.chat, aci, pni });
      this.clients.set(login.client, client);
    }
    return client;
  }
}
