export { DoublePuppetTables } from "./double-puppet-tables.js";
export { openDatabase, type OpenDatabaseOptions, type Store } from "./database.js";
export {
  formatCounts,
  migrateDatabase,
  type MigrateDbOptions,
  type MigrateDbResult,
  type TableCount,
} from "./migrate-db.js";
export {
  type DatabaseSettings,
  databaseSecrets,
  describeDatabase,
  openConfiguredStore,
} from "./open-store.js";
export {
  AccountDeletedError,
  CorruptRecordError,
  DatabaseTooNewError,
  KeyFileError,
  KeyMismatchError,
  StoreError,
} from "./errors.js";
export {
  BridgeTables,
  type ChatState,
  type GhostRow,
  type GroupPortalState,
  type MessageRef,
  type OutgoingRow,
  type OutgoingState,
  type PortalKind,
  type PortalRow,
  type ReactionRef,
} from "./bridge-tables.js";
export {
  type HistoryChatRow,
  type HistoryChatState,
  type HistoryImportRow,
  type HistoryImportState,
  HistoryTables,
} from "./history-tables.js";
export { type ChatTimer, type DisappearingEvent, DisappearingTables } from "./disappearing-tables.js";
export {
  type IncomingJournalEvent,
  type JournalEntry,
  type JournalIntake,
  type JournalKind,
  MatrixJournal,
} from "./matrix-journal.js";
export { type CryptoDatabaseChange, MatrixCryptoTables } from "./matrix-crypto-tables.js";
