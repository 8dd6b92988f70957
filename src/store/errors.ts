/** Base class of every error the store raises on purpose; the message says what to do about it. */
export class StoreError extends Error {
  override name = "StoreError";
}

/** The bridge key file is unusable as it is (permissions, size, type) or missing when it must exist. */
export class KeyFileError extends StoreError {
  override name = "KeyFileError";
}

/** The bridge key does not decrypt what this database was encrypted with. */
export class KeyMismatchError extends StoreError {
  override name = "KeyMismatchError";
}

/** The database was written by a newer version of the bridge than the one running. */
export class DatabaseTooNewError extends StoreError {
  override name = "DatabaseTooNewError";
}

/** A sealed value failed authentication: the row was tampered with, moved, or its key is wrong. */
export class CorruptRecordError extends StoreError {
  override name = "CorruptRecordError";
}

/** A write for an account whose storage was deleted (logged out) meanwhile. */
export class AccountDeletedError extends StoreError {
  override name = "AccountDeletedError";
}
