import type { SqlDatabase, SqlExecutor } from "./sql/sql-database.js";

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
    private readonly db: SqlDatabase,
    private readonly now: () => number,
  ) {}

  async managementRoomOf(userId: string): Promise<string | undefined> {
    const row = await this.db.get<{ management_room_id: string | null }>(
      "SELECT management_room_id FROM bridge_users WHERE matrix_user_id = ?",
      [userId],
    );
    return row?.management_room_id ?? undefined;
  }

  /** The user's personal space (holding their portals), once made. */
  async spaceOf(userId: string): Promise<string | undefined> {
    const row = await this.db.get<{ space_room_id: string | null }>(
      "SELECT space_room_id FROM bridge_users WHERE matrix_user_id = ?",
      [userId],
    );
    return row?.space_room_id ?? undefined;
  }

  async setSpace(userId: string, roomId: string): Promise<void> {
    await this.db.run(
      `INSERT INTO bridge_users (matrix_user_id, space_room_id) VALUES (?, ?)
       ON CONFLICT (matrix_user_id) DO UPDATE SET space_room_id = excluded.space_room_id`,
      [userId, roomId],
    );
  }

  async setManagementRoom(userId: string, roomId: string): Promise<void> {
    await this.db.run(
      `INSERT INTO bridge_users (matrix_user_id, management_room_id) VALUES (?, ?)
       ON CONFLICT (matrix_user_id) DO UPDATE SET management_room_id = excluded.management_room_id`,
      [userId, roomId],
    );
  }

  async portalByKey(portalKey: string): Promise<PortalRow | undefined> {
    return portalFromRecord(
      await this.db.get<PortalRecord>("SELECT * FROM bridge_portals WHERE portal_key = ?", [portalKey]),
    );
  }

  async portalByRoom(roomId: string): Promise<PortalRow | undefined> {
    return portalFromRecord(
      await this.db.get<PortalRecord>("SELECT * FROM bridge_portals WHERE room_id = ?", [roomId]),
    );
  }

  /** Direct-chat portals of one Matrix user. */
  async portalsOf(receiver: string): Promise<PortalRow[]> {
    const records = await this.db.all<PortalRecord>(
      "SELECT * FROM bridge_portals WHERE receiver = ? ORDER BY created_at, portal_key",
      [receiver],
    );
    return records.map((r) => portalFromRecord(r)!);
  }

  /** Every group portal. */
  async groupPortals(): Promise<PortalRow[]> {
    const records = await this.db.all<PortalRecord>(
      "SELECT * FROM bridge_portals WHERE kind = 'group' ORDER BY created_at, portal_key",
    );
    return records.map((r) => portalFromRecord(r)!);
  }

  async savePortal(portal: PortalRow): Promise<void> {
    await this.db.run(
      `INSERT INTO bridge_portals (portal_key, room_id, kind, chat_id, receiver, name, topic, avatar_url, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (portal_key) DO UPDATE SET
         room_id = excluded.room_id, name = excluded.name, topic = excluded.topic, avatar_url = excluded.avatar_url`,
      [
        portal.portalKey,
        portal.roomId,
        portal.kind,
        portal.chatId,
        portal.receiver ?? null,
        portal.name ?? null,
        portal.topic ?? null,
        portal.avatarUrl ?? null,
        this.now(),
      ],
    );
  }

  /** The group state a group portal shows; undefined until the first one was applied. */
  async groupPortalState(portalKey: string): Promise<GroupPortalState | undefined> {
    const row = await this.db.get<{
      group_revision: number | null;
      group_notice_revision: number | null;
      group_avatar_key: string | null;
    }>(
      `SELECT group_revision, group_notice_revision, group_avatar_key FROM bridge_portals
        WHERE portal_key = ?`,
      [portalKey],
    );
    if (row?.group_revision === null || row?.group_revision === undefined) return undefined;
    return {
      revision: row.group_revision,
      noticeRevision: row.group_notice_revision ?? row.group_revision,
      avatarKey: orUndefined(row.group_avatar_key),
    };
  }

  async setGroupPortalState(portalKey: string, state: GroupPortalState): Promise<void> {
    await this.db.run(
      `UPDATE bridge_portals SET group_revision = ?, group_notice_revision = ?, group_avatar_key = ?
        WHERE portal_key = ?`,
      [state.revision, state.noticeRevision, state.avatarKey ?? null, portalKey],
    );
  }

  /** The Matrix user whose Signal account relays the portal's users without a login, if any. */
  async relayOf(portalKey: string): Promise<string | undefined> {
    const row = await this.db.get<{ relay_user_id: string | null }>(
      "SELECT relay_user_id FROM bridge_portals WHERE portal_key = ?",
      [portalKey],
    );
    return row?.relay_user_id ?? undefined;
  }

  async setRelay(portalKey: string, userId: string | undefined): Promise<void> {
    await this.db.run("UPDATE bridge_portals SET relay_user_id = ? WHERE portal_key = ?", [
      userId ?? null,
      portalKey,
    ]);
  }

  /** Whether a direct portal is a message request the user has not answered. */
  async isMessageRequest(portalKey: string): Promise<boolean> {
    const row = await this.db.get<{ message_request: number }>(
      "SELECT message_request FROM bridge_portals WHERE portal_key = ?",
      [portalKey],
    );
    return row?.message_request === 1;
  }

  async setMessageRequest(portalKey: string, pending: boolean): Promise<void> {
    await this.db.run("UPDATE bridge_portals SET message_request = ? WHERE portal_key = ?", [
      pending ? 1 : 0,
      portalKey,
    ]);
  }

  /** What `userId` decided about a chat (a contact's ACI or a base64 group id), if anything. */
  async chatState(userId: string, chatId: string): Promise<ChatState | undefined> {
    const row = await this.db.get<{ state: ChatState }>(
      "SELECT state FROM bridge_chat_states WHERE user_id = ? AND chat_id = ?",
      [userId, chatId],
    );
    return row?.state;
  }

  /** Records (or, with undefined, forgets) what `userId` decided about a chat. */
  async setChatState(userId: string, chatId: string, state: ChatState | undefined): Promise<void> {
    if (state === undefined) {
      await this.db.run("DELETE FROM bridge_chat_states WHERE user_id = ? AND chat_id = ?", [userId, chatId]);
      return;
    }
    await this.db.run(
      `INSERT INTO bridge_chat_states (user_id, chat_id, state) VALUES (?, ?, ?)
       ON CONFLICT (user_id, chat_id) DO UPDATE SET state = excluded.state`,
      [userId, chatId, state],
    );
  }

  /**
   * Forgets a portal and everything the bridge kept about its room (message and reaction mapping,
   * sends, timer, events waiting to disappear); the room itself is left to the caller.
   */
  async deletePortal(portalKey: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await tx.get<{ room_id: string }>(
        "SELECT room_id FROM bridge_portals WHERE portal_key = ?",
        [portalKey],
      );
      if (row === undefined) return;
      for (const table of [
        "bridge_messages",
        "bridge_reactions",
        "bridge_outgoing",
        "bridge_disappearing_timers",
        "bridge_disappearing_events",
        "bridge_poll_answers",
      ]) {
        await tx.run(`DELETE FROM ${table} WHERE room_id = ?`, [row.room_id]);
      }
      await tx.run("DELETE FROM bridge_portals WHERE portal_key = ?", [portalKey]);
    });
  }

  /** Records a bridged message part; false when that part was already recorded (a redelivery). */
  async recordMessage(ref: MessageRef): Promise<boolean> {
    // Recorded right after the send, on the path to the chat's next send; its flush to disk
    // comes with the next commit, the handled mark of the event (or journal entry) it bridged:
    // a power cut before that redoes the send, under the same transaction ID.
    const { changes } = await this.db.runFlushedByNextCommit(
      `INSERT INTO bridge_messages (room_id, author_aci, sent_at, part, event_id)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [ref.roomId, ref.authorAci, ref.sentAt, ref.part, ref.eventId],
    );
    return changes === 1;
  }

  /** The Matrix events of one Signal message in a room, by part. */
  async eventsOfMessage(roomId: string, authorAci: string, sentAt: number): Promise<MessageRef[]> {
    const records = await this.db.all<MessageRecord>(
      `SELECT ${messageColumns} FROM bridge_messages WHERE room_id = ? AND author_aci = ? AND sent_at = ? ORDER BY part`,
      [roomId, authorAci, sentAt],
    );
    return records.map(messageFromRecord);
  }

  /** When the newest Signal message bridged into a room was sent; undefined when none was. */
  async newestMessageAt(roomId: string): Promise<number | undefined> {
    const row = await this.db.get<{ newest: number | null }>(
      "SELECT MAX(sent_at) AS newest FROM bridge_messages WHERE room_id = ?",
      [roomId],
    );
    return row?.newest ?? undefined;
  }

  /** The Matrix events of a Signal message in every room it was bridged to, by part. */
  async eventsOfMessageAnywhere(authorAci: string, sentAt: number): Promise<MessageRef[]> {
    const records = await this.db.all<MessageRecord>(
      `SELECT ${messageColumns} FROM bridge_messages WHERE author_aci = ? AND sent_at = ? ORDER BY room_id, part`,
      [authorAci, sentAt],
    );
    return records.map(messageFromRecord);
  }

  /** The Signal message a Matrix event stands for. */
  async messageOfEvent(eventId: string): Promise<MessageRef | undefined> {
    const record = await this.db.get<MessageRecord>(
      `SELECT ${messageColumns} FROM bridge_messages WHERE event_id = ?`,
      [eventId],
    );
    return record && messageFromRecord(record);
  }

  /** Remembers the answer ids of a Matrix poll sent to Signal, in the order Signal numbers them. */
  async savePollAnswers(eventId: string, roomId: string, answerIds: readonly string[]): Promise<void> {
    await this.db.run(
      `INSERT INTO bridge_poll_answers (event_id, room_id, answer_ids) VALUES (?, ?, ?)
       ON CONFLICT (event_id) DO UPDATE SET room_id = excluded.room_id, answer_ids = excluded.answer_ids`,
      [eventId, roomId, JSON.stringify(answerIds)],
    );
  }

  /** The answer ids of a Matrix poll sent to Signal, in order; undefined for other polls. */
  async pollAnswersOf(eventId: string): Promise<string[] | undefined> {
    const row = await this.db.get<{ answer_ids: string }>(
      "SELECT answer_ids FROM bridge_poll_answers WHERE event_id = ?",
      [eventId],
    );
    return row === undefined ? undefined : (JSON.parse(row.answer_ids) as string[]);
  }

  /** Records (or replaces) a Signal user's reaction on a message. */
  async saveReaction(reaction: ReactionRef): Promise<void> {
    await this.db.run(
      `INSERT INTO bridge_reactions (room_id, reactor_aci, target_author_aci, target_sent_at, emoji, event_id)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (room_id, reactor_aci, target_author_aci, target_sent_at)
       DO UPDATE SET emoji = excluded.emoji, event_id = excluded.event_id`,
      [
        reaction.roomId,
        reaction.reactorAci,
        reaction.targetAuthorAci,
        reaction.targetSentAt,
        reaction.emoji,
        reaction.eventId,
      ],
    );
  }

  async reaction(
    roomId: string,
    reactorAci: string,
    targetAuthorAci: string,
    targetSentAt: number,
  ): Promise<ReactionRef | undefined> {
    const r = await this.db.get<{ emoji: string; event_id: string }>(
      `SELECT emoji, event_id FROM bridge_reactions
       WHERE room_id = ? AND reactor_aci = ? AND target_author_aci = ? AND target_sent_at = ?`,
      [roomId, reactorAci, targetAuthorAci, targetSentAt],
    );
    return r && { roomId, reactorAci, targetAuthorAci, targetSentAt, emoji: r.emoji, eventId: r.event_id };
  }

  /** The reaction a Matrix event stands for. */
  async reactionByEvent(eventId: string): Promise<ReactionRef | undefined> {
    const r = await this.db.get<{
      room_id: string;
      reactor_aci: string;
      target_author_aci: string;
      target_sent_at: number;
      emoji: string;
    }>(
      `SELECT room_id, reactor_aci, target_author_aci, target_sent_at, emoji FROM bridge_reactions WHERE event_id = ?`,
      [eventId],
    );
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

  async deleteReaction(eventId: string): Promise<void> {
    await this.db.run("DELETE FROM bridge_reactions WHERE event_id = ?", [eventId]);
  }

  /**
   * Claims a Matrix event for sending to Signal as `accountId`, giving it the account's next
   * sent-timestamp (see nextSignalTimestamp) in the same commit. Returns the existing claim when
   * the event was claimed before, so a retry or a resumed send uses the timestamp it was given.
   */
  async claimOutgoing(
    eventId: string,
    roomId: string,
    accountId: string,
    relayedFor?: string,
  ): Promise<{ claim: OutgoingRow; isNew: boolean }> {
    return this.db.transaction(async (tx) => {
      const existing = await outgoingIn(tx, eventId);
      if (existing) return { claim: existing, isNew: false };
      const sentAt = await nextTimestampIn(tx, accountId, this.now());
      await tx.run(
        `INSERT INTO bridge_outgoing (event_id, room_id, sent_at, state, relayed_for)
         VALUES (?, ?, ?, 'sending', ?)`,
        [eventId, roomId, sentAt, relayedFor ?? null],
      );
      return { claim: { eventId, roomId, sentAt, state: "sending" as const, relayedFor }, isNew: true };
    });
  }

  /**
   * A Signal sent-timestamp for a new message of `accountId`: now, or one past the last one given
   * out when that is later, so the account's messages never share one (Signal identifies a
   * message by author and timestamp) and follow the order they were claimed in.
   */
  async nextSignalTimestamp(accountId: string): Promise<number> {
    return this.db.transaction((tx) => nextTimestampIn(tx, accountId, this.now()));
  }

  /** The send to Signal of a Matrix event; undefined for events that did not come from Matrix. */
  async outgoing(eventId: string): Promise<OutgoingRow | undefined> {
    return outgoingIn(this.db, eventId);
  }

  /**
   * The outcome of a claimed send. Its flush to disk comes with the next commit, the handled mark
   * of the journal entry that made the send: a power cut before that leaves the claim "sending",
   * and the send is made again with the claimed timestamp, which Signal's clients take as the
   * same message (as after a crash between the send and this write).
   */
  async setOutgoingState(eventId: string, state: OutgoingState): Promise<void> {
    await this.db.runFlushedByNextCommit("UPDATE bridge_outgoing SET state = ? WHERE event_id = ?", [
      state,
      eventId,
    ]);
  }

  async ghost(aci: string): Promise<GhostRow | undefined> {
    const r = await this.db.get<{
      aci: string;
      display_name: string | null;
      avatar_url: string | null;
      avatar_hash: string | null;
    }>("SELECT * FROM bridge_ghosts WHERE aci = ?", [aci]);
    return (
      r && {
        aci: r.aci,
        displayName: orUndefined(r.display_name),
        avatarUrl: orUndefined(r.avatar_url),
        avatarHash: orUndefined(r.avatar_hash),
      }
    );
  }

  async saveGhost(ghost: GhostRow): Promise<void> {
    await this.db.run(
      `INSERT INTO bridge_ghosts (aci, display_name, avatar_url, avatar_hash) VALUES (?, ?, ?, ?)
       ON CONFLICT (aci) DO UPDATE SET display_name = excluded.display_name,
         avatar_url = excluded.avatar_url, avatar_hash = excluded.avatar_hash`,
      [ghost.aci, ghost.displayName ?? null, ghost.avatarUrl ?? null, ghost.avatarHash ?? null],
    );
  }

  /** How many portals there are of each kind. */
  async portalCounts(): Promise<Record<PortalKind, number>> {
    const rows = await this.db.all<{ kind: PortalKind; count: number }>(
      "SELECT kind, COUNT(*) AS count FROM bridge_portals GROUP BY kind",
    );
    const counts: Record<PortalKind, number> = { direct: 0, group: 0 };
    for (const row of rows) counts[row.kind] = row.count;
    return counts;
  }

  async ghostCount(): Promise<number> {
    const row = await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM bridge_ghosts");
    return row?.n ?? 0;
  }
}

async function outgoingIn(db: SqlExecutor, eventId: string): Promise<OutgoingRow | undefined> {
  const r = await db.get<{
    event_id: string;
    room_id: string;
    sent_at: number;
    state: OutgoingState;
    relayed_for: string | null;
  }>("SELECT event_id, room_id, sent_at, state, relayed_for FROM bridge_outgoing WHERE event_id = ?", [
    eventId,
  ]);
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

// The clock row is read and advanced in one statement, so two claims can never get one value.
async function nextTimestampIn(tx: SqlExecutor, accountId: string, now: number): Promise<number> {
  const row = await tx.get<{ last_sent_at: number }>(
    `INSERT INTO bridge_signal_clocks (account_id, last_sent_at) VALUES (?, ?)
     ON CONFLICT (account_id) DO UPDATE SET last_sent_at = CASE
       WHEN excluded.last_sent_at > bridge_signal_clocks.last_sent_at THEN excluded.last_sent_at
       ELSE bridge_signal_clocks.last_sent_at + 1 END
     RETURNING last_sent_at`,
    [accountId, now],
  );
  return row!.last_sent_at;
}
