import { open, rowBinding, seal } from "./sealing.js";
import type { SqlDatabase } from "./sql/sql-database.js";

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
    private readonly db: SqlDatabase,
    private readonly dataKeyOf: (accountId: string) => Promise<Uint8Array>,
    private readonly now: () => number,
  ) {}

  async importOf(accountId: string): Promise<HistoryImportRow | undefined> {
    const r = await this.db.get<{
      state: HistoryImportState;
      archive_cdn: number | null;
      archive_key: string | null;
      started_at: number;
      outcome: string | null;
    }>(
      `SELECT state, archive_cdn, archive_key, started_at, outcome FROM bridge_history_imports WHERE account_id = ?`,
      [accountId],
    );
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
  async unfinished(): Promise<string[]> {
    const rows = await this.db.all<{ account_id: string }>(
      "SELECT account_id FROM bridge_history_imports WHERE state != 'done' ORDER BY started_at, account_id",
    );
    return rows.map((row) => row.account_id);
  }

  /** Starts waiting for an account's history; replaces an earlier import of the account. */
  async begin(accountId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run("DELETE FROM bridge_history_imports WHERE account_id = ?", [accountId]);
      await tx.run(
        "INSERT INTO bridge_history_imports (account_id, state, started_at) VALUES (?, 'waiting', ?)",
        [accountId, this.now()],
      );
    });
  }

  async setArchive(accountId: string, archive: { cdn: number; key: string }): Promise<void> {
    await this.db.run(
      "UPDATE bridge_history_imports SET archive_cdn = ?, archive_key = ? WHERE account_id = ?",
      [archive.cdn, archive.key, accountId],
    );
  }

  /** Stores the chats to bring in, in order, and moves the import on to them: all or nothing. */
  async plan(
    accountId: string,
    chats: ReadonlyArray<{ portalKey: string; contents: Uint8Array }>,
  ): Promise<void> {
    const key = await this.dataKeyOf(accountId);
    const sealedChats = chats.map((chat, position) => ({
      portalKey: chat.portalKey,
      sealed: seal(key, chat.contents, rowBinding(SEALED_COLUMN, accountId, position)),
    }));
    await this.db.transaction(async (tx) => {
      await tx.run("DELETE FROM bridge_history_chats WHERE account_id = ?", [accountId]);
      for (const [position, chat] of sealedChats.entries()) {
        await tx.run(
          `INSERT INTO bridge_history_chats (account_id, position, portal_key, state, chat_sealed)
           VALUES (?, ?, ?, 'pending', ?)`,
          [accountId, position, chat.portalKey, chat.sealed],
        );
      }
      await tx.run("UPDATE bridge_history_imports SET state = 'importing' WHERE account_id = ?", [accountId]);
    });
  }

  async chats(accountId: string): Promise<HistoryChatRow[]> {
    const records = await this.db.all<ChatRecord>(
      `SELECT ${chatColumns} FROM bridge_history_chats WHERE account_id = ? ORDER BY position`,
      [accountId],
    );
    return records.map(chatFromRecord);
  }

  /** The chat of the import that backfills `portalKey`, if any. */
  async chatOfPortal(accountId: string, portalKey: string): Promise<HistoryChatRow | undefined> {
    const record = await this.db.get<ChatRecord>(
      `SELECT ${chatColumns} FROM bridge_history_chats WHERE account_id = ? AND portal_key = ? ORDER BY position LIMIT 1`,
      [accountId, portalKey],
    );
    return record && chatFromRecord(record);
  }

  async chatContents(accountId: string, position: number): Promise<Uint8Array> {
    const row = await this.db.get<{ chat_sealed: Buffer }>(
      "SELECT chat_sealed FROM bridge_history_chats WHERE account_id = ? AND position = ?",
      [accountId, position],
    );
    if (row === undefined) throw new Error(`no history chat ${position} of ${accountId}`);
    const key = await this.dataKeyOf(accountId);
    return new Uint8Array(open(key, row.chat_sealed, rowBinding(SEALED_COLUMN, accountId, position)));
  }

  async setCutoff(accountId: string, position: number, cutoff: number): Promise<void> {
    await this.updateChat("cutoff", cutoff, accountId, position);
  }

  async setNextItem(accountId: string, position: number, nextItem: number): Promise<void> {
    await this.updateChat("next_item", nextItem, accountId, position);
  }

  async setChatState(accountId: string, position: number, state: HistoryChatState): Promise<void> {
    await this.updateChat("state", state, accountId, position);
  }

  /** Ends the import: the outcome is kept, the chats and their messages are dropped. */
  async finish(accountId: string, outcome: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run("DELETE FROM bridge_history_chats WHERE account_id = ?", [accountId]);
      await tx.run(
        "UPDATE bridge_history_imports SET state = 'done', finished_at = ?, outcome = ? WHERE account_id = ?",
        [this.now(), outcome, accountId],
      );
    });
  }

  private async updateChat(
    column: "cutoff" | "next_item" | "state",
    value: number | string,
    accountId: string,
    position: number,
  ): Promise<void> {
    await this.db.run(`UPDATE bridge_history_chats SET ${column} = ? WHERE account_id = ? AND position = ?`, [
      value,
      accountId,
      position,
    ]);
  }
}
