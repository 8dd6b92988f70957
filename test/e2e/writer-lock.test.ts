/**
 * Two bridge processes on one database: the first holds the writer lock (a lock file beside a
 * SQLite database, an advisory lock on PostgreSQL: postgres/writer-lock.test.ts runs this again
 * there), so the second exits at start with a message naming the cause, and the first keeps
 * bridging both ways.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { testDatabaseType } from "../support/bridge-database.js";
import { type BridgeProcess, prepareBridge, withBridgeLog } from "../support/bridge-process.js";
import { fromUser, ghostOf } from "../support/bridge-with-signal.js";
import { openContactInbox } from "../support/contact-inbox.js";
import { type LinkedDirectChat, startLinkedDirectChat } from "../support/linked-direct-chat.js";
import { waitFor } from "../support/wait.js";

let chat: LinkedDirectChat | undefined;
let second: BridgeProcess | undefined;

before(async () => {
  chat = await startLinkedDirectChat();
});

after(async () => {
  await second?.cleanup();
  await chat?.stop();
});

/** The config's `database` section of a second bridge on the first bridge's database. */
function sameDatabaseAs(first: BridgeProcess): { section: Record<string, unknown>; refusal: RegExp } {
  if (testDatabaseType() === "postgres") {
    assert.ok(first.databaseUri, "the first bridge runs on PostgreSQL");
    assert.match(first.databaseUri, /^postgresql:\/\/[^:@/]+:[^@/]+@/, "the URI carries a password");
    return {
      section: { type: "postgres", uri: first.databaseUri },
      refusal: /another bridge process is using this PostgreSQL database/,
    };
  }
  return {
    section: { path: join(first.dir, "bridge.db"), key_file: join(first.dir, "bridge.key") },
    refusal: /another bridge process is using this SQLite database \(.*bridge\.db\.lock is locked\)/,
  };
}

test("a second bridge on the same database exits non-zero saying another bridge uses it; the first keeps bridging", async (t) => {
  const { setting, friend, device, directRoom } = chat!;
  const first = setting.bridge;
  const same = sameDatabaseAs(first);
  second = await prepareBridge({
    homeserverUrl: setting.synapse.url,
    serverName: "localhost",
    permissions: { localhost: "user" },
    extraConfig: { database: same.section },
  });
  await second.start({ waitForStarted: false });
  await waitFor(() => !second!.running(), {
    timeoutMs: 60_000,
    what: () => `the second bridge to exit; it logged:\n${second!.output()}`,
  });
  const code = await second.stop();
  const log = second.output();
  assert.ok(
    code !== null && code !== 0,
    `the second bridge exits non-zero (got ${code}); it logged:\n${log}`,
  );
  assert.match(log, same.refusal);
  assert.doesNotMatch(log, /bridge started/, "the second bridge did not start");
  t.diagnostic(
    `exit code ${code}: ${log.split("\n").find((line) => line.includes("another bridge process"))}`,
  );

  await withBridgeLog(first, async () => {
    assert.ok(first.running(), "the first bridge is still running");
    await friend.sendText(device, "after the second bridge gave up");
    await setting.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^after the second bridge gave up$/),
      "the contact's message, bridged by the first bridge",
    );
    const inbox = openContactInbox(friend);
    try {
      await setting.alice.sendText(directRoom, "and the first bridge still sends");
      await inbox.waitForCount(1, {
        matches: (message) => message.body === "and the first bridge still sends",
        timeoutMs: 60_000,
        what: "the contact to receive Alice's message",
      });
    } finally {
      inbox.close();
    }
  });
});
