import type { Database } from "better-sqlite3";

export type PortalKind = "direct" | "group";

export interface PortalRow {
  portalKey: string;
  roomId: string;
  kind: PortalKind;
  /** Contact ACI (direct) or base64 group identifier (group). */
  chatId: string;
  /** The Matrix user a direct chat belongs to; undefined for groups. */
  receiver: string | undefined;
  name: string | undefined;
  topic: string | undefined;
  avatarUrl: string | undefined;
}

/** Where a Signal message (or one part of it) lives in Matrix. */
export interface MessageRef {
  roomId: string;
  authorAci: string;
  sentAt: number;
  part: number;
  eventId: string;
}

/** A Signal user's reaction on a message, as a Matrix event. */
export interface ReactionRef {
  roomId: string;
  reactorAci: string;
  targetAuthorAci: string;
  targetSentAt: number;
  emoji: string;
  eventId: string;
}

export type OutgoingState = "sending" | "sent" | "failed";

/** What a user decided about a chat: its message request accepted, or the chat blocked. */
export type ChatState = "accepted" | "blocked";

export interface OutgoingRow {
  eventId: string;
  roomId: string;
  sentAt: number;
  state: OutgoingState;
  /** The Matrix user a relayed message was written by; undefined for a user's own. */
  relayedFor: string | undefined;
}

/** What a group portal shows of its group. */
export interface GroupPortalState {
  /** The revision whose name, topic, avatar and members the room shows. */
  revision: number;
  /** The revision up to which changes were told in notices. */
  noticeRevision: number;
  /** CDN key of the group avatar the room shows. */
  avatarKey: string | undefined;
}

export interface GhostRow {
  aci: string;
  displayName: string | undefined;
  avatarUrl: string | undefined;
  avatarHash: string | undefined;
}

interface PortalRecord {
  portal_key: string;
  room_id: string;
  kind: PortalKind;
  chat_id: string;
  receiver: string | null;
  name: string | null;
  topic: string | null;
  avatar_url: string | null;
}

interface MessageRecord {
  room_id: string;
  author_aci: string;
  sent_at: number;
  part: number;
  event_id: string;
}

const messageColumns = "room_id, author_aci, sent_at, part, event_id";

function messageFromRecord(r: MessageRecord): MessageRef {
  return { roomId: r.room_id, authorAci: r.author_aci, sentAt: r.sent_at, part: r.part, eventId: r.event_id };
}

const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);

function portalFromRecord(record: PortalRecord | undefined): PortalRow | undefined {
  if (!record) return undefined;
  return {
    portalKey: record.portal_key,
    roomId: record.room_id,
    kind: record.kind,
    chatId: record.chat_id,
    receiver: orUndefined(record.receiver),
    name: orUndefined(record.name),
    topic: orUndefined(record.topic),
    avatarUrl: orUndefined(record.avatar_url),
  };
}

/** The bridge's own tables: who has which management room, portals, message ids, ghosts. */
export class BridgeTables {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  managementRoomOf(userId: string): string | undefined {
    const roomId = this.db
      .prepare("SELECT management_room_id FROM bridge_users WHERE matrix_user_id = ?")
      .pluck()
      .get(userId) as string | null | undefined;
    return roomId ?? undefined;
  }

  /** The user's personal space (holding their portals), once made. */
  spaceOf(userId: string): string | undefined {
    const roomId = this.db
      .prepare("SELECT space_room_id FROM bridge_users WHERE matrix_user_id = ?")
      .pluck()
      .get(userId) as string | null | undefined;
    return roomId ?? undefined;
  }

  setSpace(userId: string, roomId: string): void {
    this.db
      .prepare(
        `INSERT INTO bridge_users (matrix_user_id, space_room_id) VALUES (?, ?)
         ON CONFLICT (matrix_user_id) DO UPDATE SET space_room_id = excluded.space_room_id`,
      )
      .run(userId, roomId);
  }

  setManagementRoom(userId: string, roomId: string): void {
    this.db
      .prepare(
        `INSERT INTO bridge_users (matrix_user_id, management_room_id) VALUES (?, ?)
         ON CONFLICT (matrix_user_id) DO UPDATE SET management_room_id = excluded.management_room_id`,
      )
      .run(userId, roomId);
  }

  portalByKey(portalKey: string): PortalRow | undefined {
    return portalFromRecord(
      this.db.prepare("SELECT * FROM bridge_portals WHERE portal_key = ?").get(portalKey) as
        PortalRecord | undefined,
    );
  }

  portalByRoom(roomId: string): PortalRow | undefined {
    return portalFromRecord(
      this.db.prepare("SELECT * FROM bridge_portals WHERE room_id = ?").get(roomId) as
        PortalRecord | undefined,
    );
  }

  /** Direct-chat portals of one Matrix user. */
  portalsOf(receiver: string): PortalRow[] {
    const records = this.db
      .prepare("SELECT * FROM bridge_portals WHERE receiver = ? ORDER BY created_at")
      .all(receiver) as PortalRecord[];
    return records.map((r) => portalFromRecord(r)!);
  }

  /** Every group portal. */
  groupPortals(): PortalRow[] {
    const records = this.db
      .prepare("SELECT * FROM bridge_portals WHERE kind = 'group' ORDER BY created_at")
      .all() as PortalRecord[];
    return records.map((r) => portalFromRecord(r)!);
  }

  savePortal(portal: PortalRow): void {
    this.db
      .prepare(
        `INSERT INTO bridge_portals (portal_key, room_id, kind, chat_id, receiver, name, topic, avatar_url, created_at)
         VALUES (@portalKey, @roomId, @kind, @chatId, @receiver, @name, @topic, @avatarUrl, @createdAt)
         ON CONFLICT (portal_key) DO UPDATE SET
           room_id = excluded.room_id, name = excluded.name, topic = excluded.topic, avatar_url = excluded.avatar_url`,
      )
      .run({
        ...portal,
        receiver: portal.receiver ?? null,
        name: portal.name ?? null,
        topic: portal.topic ?? null,
        avatarUrl: portal.avatarUrl ?? null,
        createdAt: this.now(),
      });
  }

  /** The group state a group portal shows; undefined until the first one was applied. */
  groupPortalState(portalKey: string): GroupPortalState | undefined {
    const row = this.db
      .prepare(
        `SELECT group_revision, group_notice_revision, group_avatar_key FROM bridge_portals
          WHERE portal_key = ?`,
      )
      .get(portalKey) as
      | {
          group_revision: number | null;
          group_notice_revision: number | null;
          group_avatar_key: string | null;
        }
      | undefined;
    if (row?.group_revision === null || row?.group_revision === undefined) return undefined;
    return {
      revision: row.group_revision,
      noticeRevision: row.group_notice_revision ?? row.group_revision,
      avatarKey: orUndefined(row.group_avatar_key),
    };
  }

  setGroupPortalState(portalKey: string, state: GroupPortalState): void {
    this.db
      .prepare(
        `UPDATE bridge_portals SET group_revision = ?, group_notice_revision = ?, group_avatar_key = ?
          WHERE portal_key = ?`,
      )
      .run(state.revision, state.noticeRevision, state.avatarKey ?? null, portalKey);
  }

  /** The Matrix user whose Signal account relays the portal's users without a login, if any. */
  relayOf(portalKey: string): string | undefined {
    const userId = this.db
      .prepare("SELECT relay_user_id FROM bridge_portals WHERE portal_key = ?")
      .pluck()
      .get(portalKey) as string | null | undefined;
    return userId ?? undefined;
  }

  setRelay(portalKey: string, userId: string | undefined): void {
    this.db
      .prepare("UPDATE bridge_portals SET relay_user_id = ? WHERE portal_key = ?")
      .run(userId ?? null, portalKey);
  }

  /** Whether a direct portal is a message request the user has not answered. */
  isMessageRequest(portalKey: string): boolean {
    return (
      this.db
        .prepare("SELECT message_request FROM bridge_portals WHERE portal_key = ?")
        .pluck()
        .get(portalKey) === 1
    );
  }

  setMessageRequest(portalKey: string, pending: boolean): void {
    this.db
      .prepare("UPDATE bridge_portals SET message_request = ? WHERE portal_key = ?")
      .run(pending ? 1 : 0, portalKey);
  }

  /** What `userId` decided about a chat (a contact's ACI or a base64 group id), if anything. */
  chatState(userId: string, chatId: string): ChatState | undefined {
    const state = this.db
      .prepare("SELECT state FROM bridge_chat_states WHERE user_id = ? AND chat_id = ?")
      .pluck()
      .get(userId, chatId) as ChatState | undefined;
    return state;
  }

  /** Records (or, with undefined, forgets) what `userId` decided about a chat. */
  setChatState(userId: string, chatId: string, state: ChatState | undefined): void {
    if (state === undefined) {
      this.db.prepare("DELETE FROM bridge_chat_states WHERE user_id = ? AND chat_id = ?").run(userId, chatId);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO bridge_chat_states (user_id, chat_id, state) VALUES (?, ?, ?)
         ON CONFLICT (user_id, chat_id) DO UPDATE SET state = excluded.state`,
      )
      .run(userId, chatId, state);
  }

  /**
   * Forgets a portal and everything the bridge kept about its room (message and reaction mapping,
   * sends, timer, events waiting to disappear); the room itself is left to the caller.
   */
  deletePortal(portalKey: string): void {
    this.db.transaction(() => {
      const roomId = this.db
        .prepare("SELECT room_id FROM bridge_portals WHERE portal_key = ?")
        .pluck()
        .get(portalKey) as string | undefined;
      if (roomId === undefined) return;
      for (const table of [
        "bridge_messages",
        "bridge_reactions",
        "bridge_outgoing",
        "bridge_disappearing_timers",
        "bridge_disappearing_events",
        "bridge_poll_answers",
      ]) {
        this.db.prepare(`DELETE FROM ${table} WHERE room_id = ?`).run(roomId);
      }
      this.db.prepare("DELETE FROM bridge_portals WHERE portal_key = ?").run(portalKey);
    })();
  }

  /** Records a bridged message part; false when that part was already recorded (a redelivery). */
  recordMessage(ref: MessageRef): boolean {
    const result = this.db
      .prepare(
        `INSERT INTO bridge_messages (room_id, author_aci, sent_at, part, event_id)
         VALUES (@roomId, @authorAci, @sentAt, @part, @eventId) ON CONFLICT DO NOTHING`,
      )
      .run(ref);
    return result.changes === 1;
  }

  /** The Matrix events of one Signal message in a room, by part. */
  eventsOfMessage(roomId: string, authorAci: string, sentAt: number): MessageRef[] {
    const records = this.db
      .prepare(
        `SELECT ${messageColumns} FROM bridge_messages WHERE room_id = ? AND author_aci = ? AND sent_at = ? ORDER BY part`,
      )
      .all(roomId, authorAci, sentAt) as MessageRecord[];
    return records.map(messageFromRecord);
  }

  /** When the newest Signal message bridged into a room was sent; undefined when none was. */
  newestMessageAt(roomId: string): number | undefined {
    const newest = this.db
      .prepare("SELECT MAX(sent_at) FROM bridge_messages WHERE room_id = ?")
      .pluck()
      .get(roomId) as number | null;
    return newest ?? undefined;
  }

  /** The Matrix events of a Signal message in every room it was bridged to, by part. */
  eventsOfMessageAnywhere(authorAci: string, sentAt: number): MessageRef[] {
    const records = this.db
      .prepare(
        `SELECT ${messageColumns} FROM bridge_messages WHERE author_aci = ? AND sent_at = ? ORDER BY room_id, part`,
      )
      .all(authorAci, sentAt) as MessageRecord[];
    return records.map(messageFromRecord);
  }

  /** The Signal message a Matrix event stands for. */
  messageOfEvent(eventId: string): MessageRef | undefined {
    const record = this.db
      .prepare(`SELECT ${messageColumns} FROM bridge_messages WHERE event_id = ?`)
      .get(eventId) as MessageRecord | undefined;
    return record && messageFromRecord(record);
  }

  /** Remembers the answer ids of a Matrix poll sent to Signal, in the order Signal numbers them. */
  savePollAnswers(eventId: string, roomId: string, answerIds: readonly string[]): void {
    this.db
      .prepare("INSERT OR REPLACE INTO bridge_poll_answers (event_id, room_id, answer_ids) VALUES (?, ?, ?)")
      .run(eventId, roomId, JSON.stringify(answerIds));
  }

  /** The answer ids of a Matrix poll sent to Signal, in order; undefined for other polls. */
  pollAnswersOf(eventId: string): string[] | undefined {
    const json = this.db
      .prepare("SELECT answer_ids FROM bridge_poll_answers WHERE event_id = ?")
      .pluck()
      .get(eventId) as string | undefined;
    return json === undefined ? undefined : (JSON.parse(json) as string[]);
  }

  /** Records (or replaces) a Signal user's reaction on a message. */
  saveReaction(reaction: ReactionRef): void {
    this.db
      .prepare(
        `INSERT INTO bridge_reactions (room_id, reactor_aci, target_author_aci, target_sent_at, emoji, event_id)
         VALUES (@roomId, @reactorAci, @targetAuthorAci, @targetSentAt, @emoji, @eventId)
         ON CONFLICT (room_id, reactor_aci, target_author_aci, target_sent_at)
         DO UPDATE SET emoji = excluded.emoji, event_id = excluded.event_id`,
      )
      .run(reaction);
  }

  reaction(
    roomId: string,
    reactorAci: string,
    targetAuthorAci: string,
    targetSentAt: number,
  ): ReactionRef | undefined {
    const r = this.db
      .prepare(
        `SELECT emoji, event_id FROM bridge_reactions
         WHERE room_id = ? AND reactor_aci = ? AND target_author_aci = ? AND target_sent_at = ?`,
      )
      .get(roomId, reactorAci, targetAuthorAci, targetSentAt) as
      { emoji: string; event_id: string } | undefined;
    return r && { roomId, reactorAci, targetAuthorAci, targetSentAt, emoji: r.emoji, eventId: r.event_id };
  }

  /** The reaction a Matrix event stands for. */
  reactionByEvent(eventId: string): ReactionRef | undefined {
    const r = this.db
      .prepare(
        `SELECT room_id, reactor_aci, target_author_aci, target_sent_at, emoji FROM bridge_reactions WHERE event_id = ?`,
      )
      .get(eventId) as
      | {
          room_id: string;
          reactor_aci: string;
          target_author_aci: string;
          target_sent_at: number;
          emoji: string;
        }
      | undefined;
    return (
      r && {
        roomId: r.room_id,
        reactorAci: r.reactor_aci,
        targetAuthorAci: r.target_author_aci,
        targetSentAt: r.target_sent_at,
        emoji: r.emoji,
        eventId,
      }
    );
  }

  deleteReaction(eventId: string): void {
    this.db.prepare("DELETE FROM bridge_reactions WHERE event_id = ?").run(eventId);
  }

  /**
   * Claims a Matrix event for sending to Signal as `accountId`, giving it the account's next
   * sent-timestamp (see nextSignalTimestamp) in the same commit. Returns the existing claim when
   * the event was claimed before, so a retry or a resumed send uses the timestamp it was given.
   */
  claimOutgoing(
    eventId: string,
    roomId: string,
    accountId: string,
    relayedFor?: string,
  ): { claim: OutgoingRow; isNew: boolean } {
    return this.db.transaction(() => {
      const existing = this.outgoing(eventId);
      if (existing) return { claim: existing, isNew: false };
      const sentAt = this.nextSignalTimestamp(accountId);
      this.db
        .prepare(
          `INSERT INTO bridge_outgoing (event_id, room_id, sent_at, state, relayed_for)
           VALUES (?, ?, ?, 'sending', ?)`,
        )
        .run(eventId, roomId, sentAt, relayedFor ?? null);
      return { claim: { eventId, roomId, sentAt, state: "sending" as const, relayedFor }, isNew: true };
    })();
  }

  /**
   * A Signal sent-timestamp for a new message of `accountId`: now, or one past the last one given
   * out when that is later, so the account's messages never share one (Signal identifies a
   * message by author and timestamp) and follow the order they were claimed in.
   */
  nextSignalTimestamp(accountId: string): number {
    return this.db
      .prepare(
        `INSERT INTO bridge_signal_clocks (account_id, last_sent_at) VALUES (?, ?)
         ON CONFLICT (account_id) DO UPDATE SET last_sent_at = MAX(excluded.last_sent_at, last_sent_at + 1)
         RETURNING last_sent_at`,
      )
      .pluck()
      .get(accountId, this.now()) as number;
  }

  /** The send to Signal of a Matrix event; undefined for events that did not come from Matrix. */
  outgoing(eventId: string): OutgoingRow | undefined {
    const r = this.db
      .prepare(
        "SELECT event_id, room_id, sent_at, state, relayed_for FROM bridge_outgoing WHERE event_id = ?",
      )
      .get(eventId) as
      | {
          event_id: string;
          room_id: string;
          sent_at: number;
          state: OutgoingState;
          relayed_for: string | null;
        }
      | undefined;
    return (
      r && {
        eventId: r.event_id,
        roomId: r.room_id,
        sentAt: r.sent_at,
        state: r.state,
        relayedFor: orUndefined(r.relayed_for),
      }
    );
  }

  setOutgoingState(eventId: string, state: OutgoingState): void {
    this.db.prepare("UPDATE bridge_outgoing SET state = ? WHERE event_id = ?").run(state, eventId);
  }

  ghost(aci: string): GhostRow | undefined {
    const r = this.db.prepare("SELECT * FROM bridge_ghosts WHERE aci = ?").get(aci) as
      | { aci: string; display_name: string | null; avatar_url: string | null; avatar_hash: string | null }
      | undefined;
    return (
      r && {
        aci: r.aci,
        displayName: orUndefined(r.display_name),
        avatarUrl: orUndefined(r.avatar_url),
        avatarHash: orUndefined(r.avatar_hash),
      }
    );
  }

  saveGhost(ghost: GhostRow): void {
    this.db
      .prepare(
        `INSERT INTO bridge_ghosts (aci, display_name, avatar_url, avatar_hash) VALUES (@aci, @displayName, @avatarUrl, @avatarHash)
         ON CONFLICT (aci) DO UPDATE SET display_name = excluded.display_name,
           avatar_url = excluded.avatar_url, avatar_hash = excluded.avatar_hash`,
      )
      .run({
        aci: ghost.aci,
        displayName: ghost.displayName ?? null,
        avatarUrl: ghost.avatarUrl ?? null,
        avatarHash: ghost.avatarHash ?? null,
      });
  }

  /** How many portals there are of each kind. */
  portalCounts(): Record<PortalKind, number> {
    const rows = this.db
      .prepare("SELECT kind, COUNT(*) AS count FROM bridge_portals GROUP BY kind")
      .all() as {
      kind: PortalKind;
      count: number;
    }[];
    const counts: Record<PortalKind, number> = { direct: 0, group: 0 };
    for (const row of rows) counts[row.kind] = row.count;
    return counts;
  }

  ghostCount(): number {
    return this.db.prepare("SELECT COUNT(*) FROM bridge_ghosts").pluck().get() as number;
  }
}
