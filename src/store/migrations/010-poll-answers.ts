import type { Migration } from "./migration.js";

export const pollAnswers: Migration = {
  version: 10,
  description:
    "bridge: the answer ids of Matrix polls bridged to Signal, whose votes name answers by position",
  sql: `
      -- A Matrix poll (MSC3381) names its answers by ids its client chose; a Signal vote names
      -- them by position. The ids of each Matrix poll sent to Signal, in order, as a JSON array.
      -- (Polls from Signal get the positions themselves as ids and need no row.)
      CREATE TABLE bridge_poll_answers (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        answer_ids TEXT NOT NULL
      ) STRICT;
    `,
};
