import type { Migration } from "./migration.js";
import { storeMeta } from "./001-store-meta.js";
import { signalState } from "./002-signal-state.js";
import { bridgeTables } from "./003-bridge-tables.js";
import { senderKeyDistributions } from "./004-sender-key-distributions.js";
import { groups } from "./005-groups.js";
import { disappearingMessages } from "./006-disappearing-messages.js";
import { matrixJournal } from "./007-matrix-journal.js";
import { historyImports } from "./008-history-imports.js";
import { matrixCrypto } from "./009-matrix-crypto.js";
import { pollAnswers } from "./010-poll-answers.js";
import { doublePuppets } from "./011-double-puppets.js";
import { personalSpaces } from "./012-personal-spaces.js";
import { relayMode } from "./013-relay-mode.js";
import { messageRequests } from "./014-message-requests.js";
import { lookupIndexes } from "./015-lookup-indexes.js";

/**
 * Every migration, oldest first. To change the schema, add a file NNN-what.ts exporting a
 * Migration with the next version and append it here; never edit a released one.
 */
export const migrations: readonly Migration[] = [
  storeMeta,
  signalState,
  bridgeTables,
  senderKeyDistributions,
  groups,
  disappearingMessages,
  matrixJournal,
  historyImports,
  matrixCrypto,
  pollAnswers,
  doublePuppets,
  personalSpaces,
  relayMode,
  messageRequests,
  lookupIndexes,
];
