import type { Migration } from "./migration.js";

// Placeholder: version 5 belongs to a branch developed in parallel (group state). When both are
// merged, that branch's 005 migration replaces this file; it must run before 006.
export const reserved5: Migration = {
  version: 5,
  description: "reserved (replaced by the parallel branch's migration 5 on merge)",
  up() {},
};
