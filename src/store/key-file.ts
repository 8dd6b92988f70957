import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";

import { KeyFileError } from "./errors.js";
import { KEY_BYTES } from "./sealing.js";

/**
 * Reads the bridge key file, refusing one that others could read or that has the wrong size:
 * whoever holds this key can decrypt every linked Signal account.
 */
export function readBridgeKey(path: string): Buffer {
  // stat, not lstat: secret stores (e.g. Kubernetes volumes) mount files through symlinks, and
  // what must be private is the file the link points to.
  const stats = statSync(path);
  if (!stats.isFile()) {
    throw new KeyFileError(
      `the bridge key file ${path} is not a regular file; point the config at the key file`,
    );
  }
  const looseBits = stats.mode & 0o077;
  if (looseBits !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, "0");
    throw new KeyFileError(
      `the bridge key file ${path} has permissions ${mode}, so other users may read it; ` +
        `run "chmod 600 ${path}" and check nobody else copied it`,
    );
  }
  if (stats.size !== KEY_BYTES) {
    throw new KeyFileError(
      `the bridge key file ${path} holds ${stats.size} bytes, expected ${KEY_BYTES}; ` +
        `restore the original key file (the database cannot be read without it)`,
    );
  }
  return readFileSync(path);
}

/** Creates a new random bridge key file with mode 0600 (its directory with 0700 if missing). */
export function createBridgeKey(path: string): Buffer {
  const directory = dirname(path);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  // "wx" fails if another process created the file meanwhile, rather than overwriting its key.
  const fd = openSync(path, "wx", 0o600);
  try {
    writeSync(fd, key);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // Losing the key loses every account, so make the new directory entry durable too.
  const directoryFd = openSync(directory, "r");
  try {
    fsyncSync(directoryFd);
  } finally {
    closeSync(directoryFd);
  }
  return key;
}

export function keyFileExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
