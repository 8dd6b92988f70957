// The only place the benchmark writes the bridge's database itself: many Matrix users' linked
// Signal accounts, made the way the bridge links one (linkDevice against the mock server, into
// the store's signalStorage of the user) but without the bot and QR codes, so that hundreds of
// users can be in the database before the bridge starts. The bridge must not be running.
// (The store API is becoming async; this file is what to adapt.)
import type { PrimaryDevice } from "@signalapp/mock-server";
import { linkToPhone } from "../../../test/support/linked-signal-client.js";
import type { MockSignalServer } from "../../../test/support/mock-signal-server.js";
import { openDatabase } from "../../../src/store/index.js";

export interface LinkedAccountsOptions {
  mock: MockSignalServer;
  /** The bridge's database and key file (config database.path and database.key_file). */
  databasePath: string;
  keyFilePath: string;
  /** The phones to link, and the Matrix user each is linked for. */
  accounts: Array<{ userId: string; phone: PrimaryDevice }>;
  /** Stops linking (with those linked so far kept) once this time (Date.now()) has passed. */
  deadline: number;
  /** Stops linking (with those linked so far kept) once this says so. */
  stopped?: () => boolean;
}

/** Links each phone's account for its user; resolves to how many were linked. */
export async function writeLinkedAccounts(options: LinkedAccountsOptions): Promise<number> {
  const store = await openDatabase({ databasePath: options.databasePath, keyFilePath: options.keyFilePath });
  let linked = 0;
  try {
    for (const { userId, phone } of options.accounts) {
      if (Date.now() > options.deadline || options.stopped?.()) break;
      await linkToPhone(options.mock, await store.signalStorage(userId), phone);
      linked++;
    }
  } finally {
    await store.close();
  }
  return linked;
}
