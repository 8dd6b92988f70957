import type { Database } from "better-sqlite3";

import { open, rowBinding, seal } from "./sealing.js";

export type HistoryImportState = "waiting" | "importing" | "done";
export type HistoryChatState = "pending" | "done" | "failed";

/** An account's import of the history its phone transferred. */
export interface HistoryImportRow {
  accountId: string;
  state: HistoryImportState;
  /** Where the phone put the archive, once it said. */
  archive: { cdn: number; key: string } | undefined;
  startedAt: number;
  /** What came of it, once done (for the user and the logs). */
  outcome: string | undefined;
}

/** One chat of an import. */
export interface HistoryChatRow {
  position: number;
  portalKey: string;
  state: HistoryChatState;
  /** Index of the next history item to show. */
  nextItem: number;
  /** The newest message time the portal showed before the backfill began, once it began. */
  cutoff: number | undefined;
}

interface ChatRecord {
  position: number;
  portal_key: string;
  state: HistoryChatState;
  next_item: number;
  cutoff: number | null;
}

const chatColumns = "position, portal_key, state, next_item, cutoff";
const SEALED_COLUMN = "bridge_history_chats.chat_sealed";

function chatFromRecord(r: ChatRecord): HistoryChatRow {
  return {
    position: r.position,
    portalKey: r.portal_key,
    state: r.state,
    nextItem: r.next_item,
    cutoff: r.cutoff ?? undefined,
  };
}

/**
 * History imports and their chats. A chat's contents are opaque bytes to this table, sealed under
 * the account's data key (bound to the row) like the Signal state of the account.
 */
export class HistoryTables {
  constructor(
    private readonly db: Database,
    private readonly dataKeyOf: (accountId: string) => Uint8Array,
    private readonly now: () => number,
  ) {}

  importOf(accountId: string): HistoryImportRow | undefined {
    const r = this.db
      .prepare(
        `SELECT state, archive_cdn, archive_key, started_at, outcome FROM bridge_history_imports WHERE account_id = ?`,
      )
      .get(accountId) as
      | {
          state: HistoryImportState;
          archive_cdn: number | null;
          archive_key: string | null;
          started_at: number;
          outcome: string | null;
        }
      | undefined;
    if (!r) return undefined;
    return {
      accountId,
      state: r.state,
      archive:
        r.archive_cdn !== null && r.archive_key !== null
          ? { cdn: r.archive_cdn, key: r.archive_key }
          : undefined,
      startedAt: r.started_at,
      outcome: r.outcome ?? undefined,
    };
  }

  /** Accounts whose import is not done, oldest first. */
  unfinished(): string[] {
    return this.db
      .prepare("SELECT account_id FROM bridge_history_imports WHERE state != 'done' ORDER BY started_at")
      .pluck()
      .all() as string[];
  }

  /** Starts waiting for an account's history; replaces an earlier import of the account. */
  begin(accountId: string): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO bridge_history_imports (account_id, state, started_at) VALUES (?, 'waiting', ?)`,
      )
      .run(accountId, this.now());
  }

  setArchive(accountId: string, archive: { cdn: number; key: string }): void {
    this.db
      .prepare("UPDATE bridge_history_imports SET archive_cdn = ?, archive_key = ? WHERE account_id = ?")
      .run(archive.cdn, archive.key, accountId);
  }

  /** Stores the chats to bring in, in order, and moves the import on to them: all or nothing. */
  plan(accountId: string, chats: ReadonlyArray<{ portalKey: string; contents: Uint8Array }>): void {
    const key = this.dataKeyOf(accountId);
    const insert = this.db.prepare(
      `INSERT INTO bridge_history_chats (account_id, position, portal_key, state, chat_sealed)
       VALUES (?, ?, ?, 'pending', ?)`,
    );
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM bridge_history_chats WHERE account_id = ?").run(accountId);
      chats.forEach((chat, position) => {
        const sealed = seal(key, chat.contents, rowBinding(SEALED_COLUMN, accountId, position));
        insert.run(accountId, position, chat.portalKey, sealed);
      });
      this.db
        .prepare("UPDATE bridge_history_imports SET state = 'importing' WHERE account_id = ?")
        .run(accountId);
    })();
  }

  chats(accountId: string): HistoryChatRow[] {
    const records = this.db
      .prepare(`SELECT ${chatColumns} FROM bridge_history_chats WHERE account_id = ? ORDER BY position`)
      .all(accountId) as ChatRecord[];
    return records.map(chatFromRecord);
  }

  /** The chat of the import that backfills `portalKey`, if any. */
  chatOfPortal(accountId: string, portalKey: string): HistoryChatRow | undefined {
    const record = this.db
      .prepare(
        `SELECT ${chatColumns} FROM bridge_history_chats WHERE account_id = ? AND portal_key = ? ORDER BY position LIMIT 1`,
      )
      .get(accountId, portalKey) as ChatRecord | undefined;
    return record && chatFromRecord(record);
  }

  chatContents(accountId: string, position: number): Uint8Array {
    const sealed = this.db
      .prepare("SELECT chat_sealed FROM bridge_history_chats WHERE account_id = ? AND position = ?")
      .pluck()
      .get(accountId, position) as Buffer | undefined;
    if (sealed === undefined) throw new Error(`no history chat ${position} of ${accountId}`);
    return new Uint8Array(
      open(this.dataKeyOf(accountId), sealed, rowBinding(SEALED_COLUMN, accountId, position)),
    );
  }

  setCutoff(accountId: string, position: number, cutoff: number): void {
    this.db
      .prepare("UPDATE bridge_history_chats SET cutoff = ? WHERE account_id = ? AND position = ?")
      .run(cutoff, accountId, position);
  }

  setNextItem(accountId: string, position: number, nextItem: number): void {
    this.db
      .prepare("UPDATE bridge_history_chats SET next_item = ? WHERE account_id = ? AND position = ?")
      .run(nextItem, accountId, position);
  }

  setChatState(accountId: string, position: number, state: HistoryChatState): void {
    this.db
      .prepare("UPDATE bridge_history_chats SET state = ? WHERE account_id = ? AND position = ?")
      .run(state, accountId, position);
  }

  /** Ends the import: the outcome is kept, the chats and their messages are dropped. */
  finish(accountId: string, outcome: string): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM bridge_history_chats WHERE account_id = ?").run(accountId);
      this.db
        .prepare(
          "UPDATE bridge_history_imports SET state = 'done', finished_at = ?, outcome = ? WHERE account_id = ?",
        )
        .run(this.now(), outcome, accountId);
    })();
  }
}
