import assert from "node:assert/strict";
import { test } from "node:test";
import { NoticeCoalescer } from "../../../src/bridge/notice-coalescer.js";

test("failure notices in a row are held back for a minute, then the next one says how many", () => {
  let now = 0;
  const notices = new NoticeCoalescer(() => now);
  assert.equal(notices.admit("!a", "not sent"), "not sent");
  for (let i = 0; i < 5000; i++) assert.equal(notices.admit("!a", "not sent"), undefined);
  assert.equal(notices.admit("!b", "other room"), "other room", "rooms are counted apart");
  now += 61_000;
  assert.equal(notices.admit("!a", "not sent"), "not sent (5000 similar notices before this one not shown)");
  now += 61_000;
  assert.equal(notices.admit("!a", "again"), "again");
});
