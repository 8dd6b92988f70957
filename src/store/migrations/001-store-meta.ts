import type { Migration } from "./migration.js";

export const storeMeta: Migration = {
  version: 1,
  description: "store metadata (bridge key check value)",
  sql: `
      CREATE TABLE store_meta (
        name TEXT PRIMARY KEY,
        value BLOB NOT NULL
      ) STRICT;
    `,
};
