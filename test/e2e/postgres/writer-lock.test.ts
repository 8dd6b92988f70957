/**
 * Two bridge processes on one PostgreSQL database: the first holds the writer lock, so the second
 * exits at start with a message naming the cause, and the first keeps bridging both ways.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { finishPostgresRun } from "../../support/bridge-database.js";
import { type BridgeProcess, prepareBridge, withBridgeLog } from "../../support/bridge-process.js";
import { fromUser, ghostOf } from "../../support/bridge-with-signal.js";
import { openContactInbox } from "../../support/contact-inbox.js";
import { type LinkedDirectChat, startLinkedDirectChat } from "../../support/linked-direct-chat.js";
import { waitFor } from "../../support/wait.js";

process.env["BRIDGE_TEST_DATABASE"] = "postgres";

let chat: LinkedDirectChat | undefined;
let second: BridgeProcess | undefined;

before(async () => {
  chat = await startLinkedDirectChat();
});

after(async () => {
  await second?.cleanup();
  await chat?.stop();
});

// Last: stops the PostgreSQL server and checks no bridge logged the password.
after(finishPostgresRun);

test("a second bridge on the same PostgreSQL database exits non-zero saying another bridge uses it; the first keeps bridging", async (t) => {
  const { setting, friend, device, directRoom } = chat!;
  const first = setting.bridge;
  assert.ok(first.databaseUri, "the first bridge runs on PostgreSQL");
  assert.match(first.databaseUri, /^postgresql:\/\/[^:@/]+:[^@/]+@/, "the URI carries a password");
  second = await prepareBridge({
    homeserverUrl: setting.synapse.url,
    serverName: "localhost",
    permissions: { localhost: "user" },
    extraConfig: { database: { type: "postgres", uri: first.databaseUri } },
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
  assert.match(log, /another bridge process is using this PostgreSQL database/);
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
