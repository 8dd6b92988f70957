/**
 * Matrix -> Signal (and back) through faults of the peers, with the bridge's Signal traffic
 * going through a TCP proxy: the bridge killed with SIGKILL mid-burst, the Signal connection cut
 * for a minute, and the homeserver stopped for a minute. After each, what a user sees is that
 * every message arrived exactly once, in the order it was sent.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, test } from "node:test";
import { skippedOnPostgres } from "../support/bridge-database.js";
import { ghostOf } from "../support/bridge-with-signal.js";
import { type ContactInbox, openContactInbox } from "../support/contact-inbox.js";
import { withKeptLogs } from "../support/kept-logs.js";
import { type LinkedDirectChat, startLinkedDirectChat } from "../support/linked-direct-chat.js";
import {
  assertExactlyOnceInOrder,
  assertIncreasingTimestamps,
  Findings,
  numbered,
  sendTexts,
} from "../support/message-burst.js";
import { bodiesFrom, roomHistory } from "../support/room-history.js";
import { withTimeout } from "../support/wait.js";

let chat: LinkedDirectChat | undefined;
let inbox: ContactInbox | undefined;
let synapseStopped = false;

/**
 * Server -> bridge delay on the Signal side: a fault is likely to hit a send the server already
 * has but the bridge has not heard back about, and part of a burst is still to be sent.
 */
const SIGNAL_REPLY_DELAY_MS = 50;
/** How long a peer stays away. */
const OUTAGE_MS = 60_000;
/**
 * Generous: after an outage the chat connection reconnects within its backoff (at most a minute),
 * and the bridge's retries wait at most 30 s, before the held messages drain.
 */
const CATCH_UP_MS = 150_000;

before(async () => {
  chat = await startLinkedDirectChat({ signalProxy: true, appserviceTap: true });
  assert.ok(chat.proxy!.acceptedConnections > 0, "the bridge reaches the mock server through the proxy");
});

// A failed test must not leave its fault behind for the next one.
afterEach(async () => {
  inbox?.close();
  inbox = undefined;
  if (!chat) return;
  chat.proxy!.restore();
  chat.proxy!.setDelays({ toClientMs: 0, toServerMs: 0 });
  if (synapseStopped) {
    await chat.setting.synapse.start();
    synapseStopped = false;
  }
  if (chat.setting.bridge.pid === undefined) await chat.setting.bridge.start();
});

after(async () => {
  await chat?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Alice sends a last message and waits until the contact has it: the bridge handles a room's
 * events in order, so whatever Alice sent before it has been handled by then.
 */
async function sendLastAndWait(body: string, timeoutMs = CATCH_UP_MS): Promise<void> {
  const { setting, directRoom } = chat!;
  await setting.alice.sendText(directRoom, body);
  await inbox!.waitForCount(1, {
    matches: (message) => message.body === body,
    timeoutMs,
    what: `the contact to receive "${body}"`,
  });
}

/** No notice in the portal told Alice that one of her messages failed. */
async function assertNoFailureNotices(what: string): Promise<void> {
  const { setting, directRoom } = chat!;
  const failures = (await roomHistory(setting.alice, directRoom)).filter(
    (event) =>
      event.content["msgtype"] === "m.notice" &&
      /not (delivered|sent)/i.test(String(event.content["body"] ?? "")),
  );
  assert.deepEqual(
    failures.map((event) => String(event.content["body"])),
    [],
    `${what}: the portal told Alice messages failed though they were only delayed`,
  );
}

test("kill -9 of the bridge during a 200-message burst to Signal: the contact gets each message once, in order, with its own timestamp", async (t) => {
  const { setting, directRoom, friend, proxy } = chat!;
  await withKeptLogs(setting, "kill-burst", async () => {
    inbox = openContactInbox(friend);
    proxy!.setDelays({ toClientMs: SIGNAL_REPLY_DELAY_MS });
    const bodies = numbered("crash burst", 200);
    const sending = sendTexts(setting.alice, directRoom, bodies);
    await inbox.waitForCount(30, {
      matches: (message) => message.body.startsWith("crash burst"),
      timeoutMs: 120_000,
      what: "the first messages of the burst to reach the contact",
    });
    await setting.bridge.stop("SIGKILL");
    t.diagnostic(`killed with ${inbox.shown("crash burst").length} of 200 at the contact`);
    await withTimeout(sending, 120_000, "Alice's client to send the whole burst");
    await setting.bridge.start();
    const findings = new Findings();
    await findings.check("the last message", () => sendLastAndWait("after the crash burst"));
    const burst = inbox.shown("crash burst");
    await findings.check("the burst", () =>
      assertExactlyOnceInOrder(
        bodies,
        burst.map((message) => message.body),
        "what the contact got",
      ),
    );
    await findings.check("timestamps", () => assertIncreasingTimestamps(burst, "the burst's timestamps"));
    t.diagnostic(`${inbox.repeats} deliveries repeated a message the contact had (same timestamp)`);
    findings.assertNone();
  });
});

test("the Signal connection cut for a minute during a burst: nothing is lost, doubled or reordered", async (t) => {
  if (skippedOnPostgres(t, "a minute-long outage of the Signal connection; kill -9 is the store's fault"))
    return;
  const { setting, directRoom, friend, proxy } = chat!;
  await withKeptLogs(setting, "signal-cut", async () => {
    inbox = openContactInbox(friend);
    proxy!.setDelays({ toClientMs: SIGNAL_REPLY_DELAY_MS });
    const bodies = numbered("cut burst", 60);
    const beforeCut = sendTexts(setting.alice, directRoom, bodies.slice(0, 25));
    await inbox.waitForCount(10, {
      matches: (message) => message.body.startsWith("cut burst"),
      timeoutMs: 120_000,
      what: "the first messages of the burst to reach the contact",
    });
    proxy!.cut();
    const cutAt = Date.now();
    t.diagnostic(`cut with ${inbox.shown("cut burst").length} of 60 at the contact`);
    await withTimeout(beforeCut, 120_000, "Alice's client to send the first part of the burst");
    await withTimeout(
      sendTexts(setting.alice, directRoom, bodies.slice(25)),
      120_000,
      "Alice's client to send the rest of the burst while Signal is away",
    );
    await sleep(OUTAGE_MS - (Date.now() - cutAt));
    proxy!.restore();
    const findings = new Findings();
    await findings.check("the last message", () => sendLastAndWait("after the cut burst"));
    const burst = inbox.shown("cut burst");
    await findings.check("the burst", () =>
      assertExactlyOnceInOrder(
        bodies,
        burst.map((message) => message.body),
        "what the contact got",
      ),
    );
    await findings.check("timestamps", () => assertIncreasingTimestamps(burst, "the burst's timestamps"));
    await findings.check("notices", () => assertNoFailureNotices("after the cut"));
    t.diagnostic(`${inbox.repeats} deliveries repeated a message the contact had (same timestamp)`);
    findings.assertNone();
  });
});

test("the homeserver stopped for a minute during bursts both ways: after it returns each message arrives once, in order, on both sides", async (t) => {
  if (skippedOnPostgres(t, "a minute-long outage of the homeserver; kill -9 is the store's fault")) return;
  const { mock, setting, directRoom, friend, device, proxy } = chat!;
  await withKeptLogs(setting, "homeserver-outage", async () => {
    inbox = openContactInbox(friend);
    // Slow Signal replies keep part of Alice's burst in the bridge when the homeserver goes.
    proxy!.setDelays({ toClientMs: SIGNAL_REPLY_DELAY_MS });
    const toSignal = numbered("to signal", 60);
    const toMatrix = numbered("to matrix", 60);
    const eventIds = await withTimeout(
      sendTexts(setting.alice, directRoom, toSignal),
      120_000,
      "Alice's client to send her burst",
    );
    // Synapse drops what it has not pushed yet when it stops; the bridge has to have it first.
    await setting.tap!.waitForTakenIn(eventIds.at(-1)!, {
      timeoutMs: 60_000,
      what: "the bridge to take in the last message of Alice's burst",
    });
    await setting.synapse.stop({ keep: true });
    synapseStopped = true;
    const stoppedAt = Date.now();
    t.diagnostic(`homeserver stopped with ${inbox.shown("to signal").length} of 60 at the contact`);

    // The contact's burst reaches the bridge while the homeserver is away. Each message has its
    // own timestamp, as real Signal apps ensure.
    const deliveries: Promise<void>[] = [];
    for (const [i, body] of toMatrix.entries()) {
      const envelope = await friend.encryptText(device, body, { timestamp: stoppedAt + i });
      deliveries.push(mock.server.send(device, envelope));
    }
    await withTimeout(
      Promise.all(deliveries),
      120_000,
      "the mock to deliver the contact's burst to the bridge",
    );
    await sleep(OUTAGE_MS - (Date.now() - stoppedAt));
    await setting.synapse.start();
    synapseStopped = false;

    const findings = new Findings();
    await findings.check("Alice's last message", () => sendLastAndWait("after the homeserver came back"));
    const received = inbox.shown("to signal");
    await findings.check("Alice's burst", () =>
      assertExactlyOnceInOrder(
        toSignal,
        received.map((message) => message.body),
        "what the contact got",
      ),
    );
    await findings.check("timestamps", () =>
      assertIncreasingTimestamps(received, "the timestamps of Alice's burst"),
    );

    await findings.check("the contact's last message", async () => {
      await friend.sendText(device, "contact: after the homeserver came back");
      await setting.alice.waitForEvent(
        directRoom,
        (event) =>
          event.getSender() === ghostOf(friend) &&
          event.getContent()["body"] === "contact: after the homeserver came back",
        "the contact's message sent after the homeserver came back",
        CATCH_UP_MS,
      );
    });
    const shown = bodiesFrom(await roomHistory(setting.alice, directRoom), ghostOf(friend)).filter((body) =>
      body.startsWith("to matrix"),
    );
    await findings.check("the contact's burst", () =>
      assertExactlyOnceInOrder(toMatrix, shown, "what the portal shows of the contact's burst"),
    );
    t.diagnostic(`${inbox.repeats} deliveries repeated a message the contact had (same timestamp)`);
    findings.assertNone();
  });
});
