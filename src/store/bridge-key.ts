import { CorruptRecordError, KeyFileError, KeyMismatchError } from "./errors.js";
import { createBridgeKey, keyFileExists, readBridgeKey } from "./key-file.js";
import { open, rowBinding, seal } from "./sealing.js";
import type { SqlDatabase } from "./sql/sql-database.js";

// A value sealed under the bridge key when the database is first used. Opening it proves the
// key file belongs to this database before anything else gets decrypted (or, worse, written
// under a different key).
const CHECK_NAME = "bridge_key_check";
const CHECK_PLAINTEXT = Buffer.from("signal-matrix-bridge key check v1", "utf8");
const CHECK_BINDING = rowBinding("store_meta.value", CHECK_NAME);

export const KEY_MISMATCH_MESSAGE = "the key file does not match this database";

/**
 * Loads the bridge key for `db`, creating the key file on first start. Refuses to invent a new
 * key for a database that already holds data encrypted under an old one.
 */
export async function loadBridgeKey(
  db: SqlDatabase,
  keyFilePath: string,
  databasePath: string,
): Promise<Buffer> {
  const row = await db.get<{ value: Buffer }>("SELECT value FROM store_meta WHERE name = ?", [CHECK_NAME]);
  if (row === undefined) {
    const key = keyFileExists(keyFilePath) ? readBridgeKey(keyFilePath) : createBridgeKey(keyFilePath);
    await db.run("INSERT INTO store_meta (name, value) VALUES (?, ?)", [
      CHECK_NAME,
      seal(key, CHECK_PLAINTEXT, CHECK_BINDING),
    ]);
    return key;
  }
  if (!keyFileExists(keyFilePath)) {
    throw new KeyFileError(
      `the bridge key file ${keyFilePath} is missing, but the database ${databasePath} was encrypted ` +
        `with a key file; restore it from backup (a new key cannot read the existing data)`,
    );
  }
  const key = readBridgeKey(keyFilePath);
  try {
    open(key, row.value, CHECK_BINDING);
  } catch (error) {
    if (error instanceof CorruptRecordError) {
      throw new KeyMismatchError(
        `${KEY_MISMATCH_MESSAGE}: ${keyFilePath} cannot decrypt ${databasePath}; ` +
          `configure the key file that was used when this database was created`,
      );
    }
    throw error;
  }
  return key;
}
