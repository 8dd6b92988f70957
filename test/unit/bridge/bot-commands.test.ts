import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommand } from "../../../src/bridge/bot-commands.js";
import { hasPermission, permissionLevelOf } from "../../../src/bridge/permissions.js";

test("commands: bare in the management room, prefixed elsewhere", () => {
  assert.deepEqual(parseCommand("  Help  ", true), { name: "help", args: [] });
  assert.equal(parseCommand("help", false), undefined);
  assert.deepEqual(parseCommand("!signal pm  +15551234 ", false), { name: "pm", args: ["+15551234"] });
  assert.deepEqual(parseCommand("!SIGNAL help", true), { name: "help", args: [] });
  assert.equal(parseCommand("   ", true), undefined);
  assert.equal(parseCommand("!signalfoo", false), undefined);
});

test("the most specific permission entry wins", () => {
  const permissions = { "*": "relay", "example.org": "user", "@boss:example.org": "admin" } as const;
  assert.equal(permissionLevelOf("@boss:example.org", permissions), "admin");
  assert.equal(permissionLevelOf("@alice:example.org", permissions), "user");
  assert.equal(permissionLevelOf("@eve:elsewhere.net", permissions), "relay");
  assert.equal(permissionLevelOf("@eve:elsewhere.net", { "example.org": "user" }), undefined);
  assert.ok(hasPermission("admin", "user"));
  assert.ok(!hasPermission("relay", "user"));
  assert.ok(!hasPermission(undefined, "relay"));
});
