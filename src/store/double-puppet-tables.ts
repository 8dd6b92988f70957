import type { Database } from "better-sqlite3";

import { open, rowBinding, seal } from "./sealing.js";

const SEALED_COLUMN = "bridge_double_puppets.token_sealed";

/**
 * Matrix access tokens users gave the bridge (`login-matrix`) so it can act as them. A token is
 * sealed under its account's data key, bound to its row, like the account's Signal secrets.
 */
export class DoublePuppetTables {
  constructor(
    private readonly db: Database,
    private readonly dataKeyOf: (accountId: string) => Uint8Array,
    private readonly now: () => number,
  ) {}

  saveToken(accountId: string, token: string): void {
    const sealed = seal(
      this.dataKeyOf(accountId),
      Buffer.from(token, "utf8"),
      rowBinding(SEALED_COLUMN, accountId),
    );
    this.db
      .prepare(
        `INSERT INTO bridge_double_puppets (account_id, token_sealed, created_at) VALUES (?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE SET token_sealed = excluded.token_sealed, created_at = excluded.created_at`,
      )
      .run(accountId, sealed, this.now());
  }

  tokenOf(accountId: string): string | undefined {
    const sealed = this.db
      .prepare("SELECT token_sealed FROM bridge_double_puppets WHERE account_id = ?")
      .pluck()
      .get(accountId) as Buffer | undefined;
    if (sealed === undefined) return undefined;
    return open(this.dataKeyOf(accountId), sealed, rowBinding(SEALED_COLUMN, accountId)).toString("utf8");
  }

  /** Forgets the account's token; true if there was one. */
  deleteToken(accountId: string): boolean {
    return (
      this.db.prepare("DELETE FROM bridge_double_puppets WHERE account_id = ?").run(accountId).changes > 0
    );
  }
}
