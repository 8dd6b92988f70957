import { open, rowBinding, seal } from "./sealing.js";
import type { SqlDatabase } from "./sql/sql-database.js";

const SEALED_COLUMN = "bridge_double_puppets.token_sealed";

/**
 * Matrix access tokens users gave the bridge (`login-matrix`) so it can act as them. A token is
 * sealed under its account's data key, bound to its row, like the account's Signal secrets.
 */
export class DoublePuppetTables {
  constructor(
    private readonly db: SqlDatabase,
    private readonly dataKeyOf: (accountId: string) => Promise<Uint8Array>,
    private readonly now: () => number,
  ) {}

  async saveToken(accountId: string, token: string): Promise<void> {
    const sealed = seal(
      await this.dataKeyOf(accountId),
      Buffer.from(token, "utf8"),
      rowBinding(SEALED_COLUMN, accountId),
    );
    await this.db.run(
      `INSERT INTO bridge_double_puppets (account_id, token_sealed, created_at) VALUES (?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET token_sealed = excluded.token_sealed, created_at = excluded.created_at`,
      [accountId, sealed, this.now()],
    );
  }

  /** Every account that gave a token, for loading them at start. */
  async accounts(): Promise<string[]> {
    const rows = await this.db.all<{ account_id: string }>("SELECT account_id FROM bridge_double_puppets");
    return rows.map((row) => row.account_id);
  }

  async tokenOf(accountId: string): Promise<string | undefined> {
    const row = await this.db.get<{ token_sealed: Buffer }>(
      "SELECT token_sealed FROM bridge_double_puppets WHERE account_id = ?",
      [accountId],
    );
    if (row === undefined) return undefined;
    const key = await this.dataKeyOf(accountId);
    return open(key, row.token_sealed, rowBinding(SEALED_COLUMN, accountId)).toString("utf8");
  }

  /** Forgets the account's token; true if there was one. */
  async deleteToken(accountId: string): Promise<boolean> {
    const { changes } = await this.db.run("DELETE FROM bridge_double_puppets WHERE account_id = ?", [
      accountId,
    ]);
    return changes > 0;
  }
}
