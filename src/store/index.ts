export { openDatabase, type OpenDatabaseOptions, type Store } from "./database.js";
export {
  AccountDeletedError,
  CorruptRecordError,
  DatabaseTooNewError,
  KeyFileError,
  KeyMismatchError,
  StoreError,
} from "./errors.js";
