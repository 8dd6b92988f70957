/**
 * What the homeserver may push to the bridge, pushed the way it does (appservice transactions
 * with the hs_token): the same transaction or event twice, receipts under both ephemeral keys,
 * nulls and wrong-typed fields, ten thousand events at once, and (through Synapse) deeply nested
 * HTML. The bridge answers, stays up, sends each message once, and keeps other rooms moving.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, test } from "node:test";
import {
  type AppserviceTransactions,
  appserviceTransactions,
  newEventId,
  newTxnId,
  reactionEvent,
  roomEvent,
  textEvent,
} from "../support/appservice-transactions.js";
import { fromUser, ghostOf } from "../support/bridge-with-signal.js";
import { type ContactInbox, openContactInbox } from "../support/contact-inbox.js";
import { withKeptLogs } from "../support/kept-logs.js";
import { type LinkedDirectChat, startLinkedDirectChat } from "../support/linked-direct-chat.js";
import { Findings } from "../support/message-burst.js";
import { residentKiB } from "../support/process-memory.js";
import { roomHistory } from "../support/room-history.js";

let chat: LinkedDirectChat | undefined;
let transactions: AppserviceTransactions;
let inbox: ContactInbox | undefined;

before(async () => {
  chat = await startLinkedDirectChat();
  transactions = await appserviceTransactions(chat.setting.bridge);
});

// A test that crashed the bridge must not take the next ones down with it.
afterEach(async () => {
  inbox?.close();
  inbox = undefined;
  if (chat && chat.setting.bridge.pid === undefined) await chat.setting.bridge.start();
});

after(async () => {
  await chat?.stop();
});

const READ = 1;

/** Pushes a transaction and asserts that the bridge accepted it (200), as the homeserver needs. */
async function pushAccepted(body: unknown, what: string, txnId = newTxnId()): Promise<void> {
  const answer = await transactions.push(txnId, body, { timeoutMs: 120_000 });
  assert.equal(
    answer.status,
    200,
    `${what}: the bridge answered ${answer.status} ${answer.body.slice(0, 500)}`,
  );
}

/**
 * Alice sends a message through Synapse and waits until the contact has it: the bridge handles a
 * room's events in order, so whatever reached the bridge before it has been handled by then.
 */
async function sendLastAndWait(body: string, timeoutMs = 120_000): Promise<void> {
  const { setting, directRoom } = chat!;
  await setting.alice.sendText(directRoom, body);
  await inbox!.waitForCount(1, {
    matches: (message) => message.body === body,
    timeoutMs,
    what: `the contact to receive "${body}"`,
  });
}

const timesReceived = (body: string) => inbox!.shown().filter((message) => message.body === body).length;

test("the same transaction twice at once, and one event in two transactions, reach the contact once; so does an event Synapse delivered before", async (t) => {
  const { setting, directRoom, friend } = chat!;
  await withKeptLogs(setting, "repeated-deliveries", async () => {
    inbox = openContactInbox(friend);
    const alice = setting.alice.userId;

    const repeated = { events: [textEvent(directRoom, alice, "one transaction, twice at once")] };
    const txnId = newTxnId();
    await Promise.all([
      pushAccepted(repeated, "the first copy of the transaction", txnId),
      pushAccepted(repeated, "the second copy of the transaction", txnId),
    ]);

    const shared = textEvent(directRoom, alice, "one event, two transactions at once");
    await Promise.all([
      pushAccepted({ events: [shared] }, "the first transaction with the event"),
      pushAccepted({ events: [shared] }, "the second transaction with the event"),
    ]);
    const later = textEvent(directRoom, alice, "one event, a second transaction later");
    await pushAccepted({ events: [later] }, "the first transaction with the later event");
    await pushAccepted({ events: [later] }, "the second transaction with the later event");

    const realId = await setting.alice.sendText(directRoom, "delivered by Synapse, then again");
    await inbox.waitForCount(1, {
      matches: (message) => message.body === "delivered by Synapse, then again",
      timeoutMs: 60_000,
      what: "the contact to receive the message Synapse delivered",
    });
    const real = await setting.alice.client.fetchRoomEvent(directRoom, realId);
    await pushAccepted({ events: [real] }, "the transaction delivering Synapse's event again");

    await sendLastAndWait("after the repeated deliveries");
    const bodies = [
      "one transaction, twice at once",
      "one event, two transactions at once",
      "one event, a second transaction later",
      "delivered by Synapse, then again",
    ];
    t.diagnostic(`${inbox.repeats} deliveries repeated a message the contact had (same timestamp)`);
    assert.deepEqual(
      Object.fromEntries(bodies.map((body) => [body, timesReceived(body)])),
      Object.fromEntries(bodies.map((body) => [body, 1])),
      "how many times the contact received each message",
    );
  });
});

test("a read receipt reaches the contact once when it comes under both ephemeral keys (as Synapse sends it), and also under the stable key alone", async () => {
  const { setting, directRoom, friend, device } = chat!;
  await withKeptLogs(setting, "ephemeral-keys", async () => {
    inbox = openContactInbox(friend);
    const alice = setting.alice.userId;
    const sent = new Map<string, { timestamp: number; eventId: string }>();
    for (const [i, body] of ["read me under both keys", "read me under the stable key"].entries()) {
      const timestamp = Date.now() + i;
      await friend.sendText(device, body, { timestamp });
      const event = await setting.alice.waitForEvent(
        directRoom,
        fromUser(ghostOf(friend), new RegExp(`^${body}$`)),
        `the contact's "${body}"`,
      );
      sent.set(body, { timestamp, eventId: event.getId()! });
    }
    const receipt = (eventId: string) => ({
      type: "m.receipt",
      room_id: directRoom,
      content: { [eventId]: { "m.read": { [alice]: { ts: Date.now() } } } },
    });
    const both = sent.get("read me under both keys")!;
    const stable = sent.get("read me under the stable key")!;
    const bothKeys = [receipt(both.eventId)];
    await pushAccepted(
      { events: [], ephemeral: bothKeys, "de.sorunome.msc2409.ephemeral": bothKeys },
      "the receipt under both keys",
    );
    await pushAccepted(
      { events: [], ephemeral: [receipt(stable.eventId)] },
      "the receipt under the stable key",
    );

    await sendLastAndWait("after the receipts");
    const readReceiptsOf = (timestamp: number) =>
      inbox!.receipts.filter((r) => r.type === READ && r.timestamps.includes(timestamp)).length;
    assert.deepEqual(
      {
        "under both keys": readReceiptsOf(both.timestamp),
        "under the stable key": readReceiptsOf(stable.timestamp),
      },
      { "under both keys": 1, "under the stable key": 1 },
      "read receipts the contact got for each message",
    );
  });
});

/** Asserts that the bridge process is still the one from `pid`, and how often `bodies` reached the contact. */
async function checkSurvived(findings: Findings, pid: number | undefined, bodies: string[]): Promise<void> {
  await findings.check("the process", () =>
    assert.equal(chat!.setting.bridge.pid, pid, "the bridge process is the one from before"),
  );
  await findings.check("the valid events", () =>
    assert.deepEqual(
      Object.fromEntries(bodies.map((body) => [body, timesReceived(body)])),
      Object.fromEntries(bodies.map((body) => [body, 1])),
      "how many times the contact got the valid events of the transaction",
    ),
  );
}

test("a transaction with null in its events and ephemeral events is answered 200; the bridge stays up and the valid event and later messages flow", async () => {
  const { setting, directRoom, friend } = chat!;
  await withKeptLogs(setting, "nulls", async () => {
    inbox = openContactInbox(friend);
    const pid = setting.bridge.pid;
    const findings = new Findings();
    await findings.check("the transaction", () =>
      pushAccepted(
        {
          events: [null, textEvent(directRoom, setting.alice.userId, "next to a null event")],
          ephemeral: [null],
          "de.sorunome.msc2409.ephemeral": [null],
        },
        "the transaction with nulls",
      ),
    );
    await findings.check("the next message", () => sendLastAndWait("after the transaction with nulls"));
    await checkSurvived(findings, pid, ["next to a null event"]);
    findings.assertNone();
  });
});

test("events with missing or wrong-typed fields are answered 200; the bridge stays up and the valid event and later messages flow", async () => {
  const { setting, directRoom, friend } = chat!;
  await withKeptLogs(setting, "malformed", async () => {
    inbox = openContactInbox(friend);
    const pid = setting.bridge.pid;
    const alice = setting.alice.userId;
    const room = directRoom;
    const findings = new Findings();

    const message = (content: unknown, fields: Record<string, unknown> = {}) => ({
      ...roomEvent({ roomId: room, sender: alice, type: "m.room.message", content: {} }),
      content,
      ...fields,
    });
    const malformedEvents: unknown[] = [
      {},
      42,
      "an event",
      [],
      message({ msgtype: "m.text", body: "wrong type" }, { type: 42 }),
      message({ msgtype: "m.text", body: "no type" }, { type: undefined }),
      message({ msgtype: "m.text", body: "room id is a number" }, { room_id: 7 }),
      message({ msgtype: "m.text", body: "no event id" }, { event_id: undefined }),
      message({ msgtype: "m.text", body: "event id is an object" }, { event_id: {} }),
      message({ msgtype: "m.text", body: "sender is a number" }, { sender: 12 }),
      message({ msgtype: "m.text", body: "odd timestamp" }, { origin_server_ts: "yesterday" }),
      message(null),
      message("content as a string"),
      message([1, 2, 3]),
      message({ msgtype: "m.text", body: 42 }),
      message({ msgtype: ["m.text"], body: { text: "hi" } }),
      message({
        msgtype: "m.text",
        body: "html of the wrong type",
        format: "org.matrix.custom.html",
        formatted_body: 5,
      }),
      message({ msgtype: "m.text", body: "reply to nothing", "m.relates_to": { "m.in_reply_to": null } }),
      message({
        msgtype: "m.text",
        body: "reply to a number",
        "m.relates_to": { "m.in_reply_to": { event_id: 9 } },
      }),
      message({
        msgtype: "m.text",
        body: "* an edit of nothing",
        "m.new_content": "not content",
        "m.relates_to": { rel_type: "m.replace", event_id: {} },
      }),
      message({ msgtype: "m.image", body: "an image", url: {}, info: null }),
      message({ msgtype: "m.file", body: "a file", url: "mxc://", info: { size: "big", mimetype: 3 } }),
      message({ msgtype: "m.text", body: "mentions", "m.mentions": { user_ids: "everyone" } }),
      roomEvent({ roomId: room, sender: alice, type: "m.sticker", content: { body: 1, url: 5, info: "x" } }),
      roomEvent({ roomId: room, sender: alice, type: "m.reaction", content: { "m.relates_to": "nope" } }),
      roomEvent({
        roomId: room,
        sender: alice,
        type: "m.reaction",
        content: { "m.relates_to": { rel_type: "m.annotation", event_id: 5, key: null } },
      }),
      {
        ...roomEvent({ roomId: room, sender: alice, type: "m.room.redaction", content: { redacts: [] } }),
        redacts: 5,
      },
      {
        ...roomEvent({ roomId: room, sender: alice, type: "m.room.member", content: { membership: 3 } }),
        state_key: 5,
      },
      {
        ...roomEvent({ roomId: room, sender: alice, type: "m.room.name", content: { name: {} } }),
        state_key: "",
      },
    ];
    const malformedEphemeral: unknown[] = [
      42,
      "typing",
      {},
      { type: 5, room_id: room, content: {} },
      { type: "m.typing", room_id: room, content: { user_ids: alice } },
      { type: "m.typing", room_id: room, content: null },
      { type: "m.typing", room_id: room, content: { user_ids: [null, 5, {}] } },
      { type: "m.receipt", room_id: room, content: null },
      { type: "m.receipt", room_id: room, content: { [newEventId()]: null } },
      { type: "m.receipt", room_id: room, content: { [newEventId()]: { "m.read": "nope" } } },
      { type: "m.receipt", room_id: room, content: { [newEventId()]: { "m.read": { [alice]: null } } } },
      {
        type: "m.receipt",
        room_id: room,
        content: { [newEventId()]: { "m.read": { [alice]: { ts: "now" } } } },
      },
      { type: "m.presence", sender: alice, content: { presence: 5 } },
    ];
    await findings.check("malformed events", () =>
      pushAccepted(
        {
          events: [...malformedEvents, textEvent(room, alice, "next to malformed events")],
          ephemeral: malformedEphemeral,
          "de.sorunome.msc2409.ephemeral": malformedEphemeral,
        },
        "the transaction with malformed events",
      ),
    );

    await findings.check("the next message", () => sendLastAndWait("after the malformed transaction"));
    await checkSurvived(findings, pid, ["next to malformed events"]);

    // Anyone who reaches the appservice port can send the first one; only the homeserver the second.
    for (const authorized of [false, true]) {
      await findings.check(
        `a badly encoded transaction id ${authorized ? "with" : "without"} the token`,
        async () => {
          const answer = await transactions.push("%E0%A4%A", { events: [] }, { encoded: false, authorized });
          assert.ok(answer.status < 500, `the bridge answered ${answer.status} ${answer.body.slice(0, 200)}`);
        },
      );
    }
    await findings.check("the message after a badly encoded transaction id", () =>
      sendLastAndWait("after the badly encoded transaction id", 30_000),
    );
    await findings.check("the process after a badly encoded transaction id", () =>
      assert.equal(setting.bridge.pid, pid, "the bridge process is the one from before"),
    );
    findings.assertNone();
  });
});

test("10,000 reactions to unknown events in one transaction, twice: no notice flood, memory does not grow with the events, later messages flow", async (t) => {
  const { setting, directRoom, friend } = chat!;
  await withKeptLogs(setting, "reaction-flood", async () => {
    inbox = openContactInbox(friend);
    // Whatever an earlier test left for the bridge to do is done before memory is measured.
    await sendLastAndWait("before ten thousand reactions");
    const pid = setting.bridge.pid!;
    const alice = setting.alice.userId;
    const historyBefore = (await roomHistory(setting.alice, directRoom)).length;
    const baseline = await residentKiB(pid);
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await residentKiB(pid).catch(() => peak));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();

    // The heap of a Node process grows to a plateau under load; a second flood shows whether
    // memory follows the number of events (it should not) or levels off.
    const findings = new Findings();
    const peaks: number[] = [];
    try {
      for (const round of ["first", "second"]) {
        const events = Array.from({ length: 10_000 }, () =>
          reactionEvent(directRoom, alice, newEventId(), "👍"),
        );
        await findings.check(`the ${round} transaction`, () =>
          pushAccepted({ events }, `the ${round} transaction of 10,000 reactions`),
        );
        await findings.check(`the message after the ${round} flood`, () =>
          sendLastAndWait(`after the ${round} ten thousand reactions`, 300_000),
        );
        peaks.push(peak);
      }
    } finally {
      sampling = false;
      await sampler;
    }
    // Notices about the reactions may trail the message; a few seconds more shows a flood.
    await new Promise((resolve) => setTimeout(resolve, 5_000));

    const notices = (await roomHistory(setting.alice, directRoom))
      .slice(historyBefore)
      .filter((event) => event.type === "m.room.message" && event.content["msgtype"] === "m.notice");
    const [first = baseline, second = first] = peaks.map((kib) => kib / 1024);
    const before = baseline / 1024;
    t.diagnostic(
      `bridge RSS ${before.toFixed(0)} MiB before, peak ${first.toFixed(0)} MiB in the first flood, ${second.toFixed(0)} MiB in the second; ${notices.length} notices`,
    );
    await findings.check("notices", () =>
      assert.ok(
        notices.length <= 3,
        `${notices.length} notices in the portal, e.g. ${JSON.stringify(notices.slice(0, 3).map((n) => n.content["body"]))}`,
      ),
    );
    // Bounded: the second flood adds little (in one run 444 MiB after the first and 511 after
    // the second, from 169); a bridge that kept something per event would add about as much again.
    await findings.check("memory", () => {
      assert.ok(
        first - before < 512,
        `the first flood took the bridge from ${before.toFixed(0)} to ${first.toFixed(0)} MiB`,
      );
      assert.ok(
        second - first < Math.max(128, (first - before) / 2),
        `the second flood took the bridge further, from ${first.toFixed(0)} to ${second.toFixed(0)} MiB`,
      );
    });
    await findings.check("the process", () =>
      assert.equal(setting.bridge.pid, pid, "the bridge process is the one from before"),
    );
    findings.assertNone();
  });
});

/** How long the bridge's /health took to answer, polled until `stop()`; a liveness check. */
function watchHealth(url: string, requestTimeoutMs: number) {
  let stopped = false;
  let slowest = 0;
  const failures: string[] = [];
  const watching = (async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(requestTimeoutMs) });
        await response.text();
        if (response.status !== 200) failures.push(`answered ${response.status}`);
      } catch (error) {
        failures.push(`no answer within ${requestTimeoutMs} ms (${(error as Error).message})`);
      }
      slowest = Math.max(slowest, Date.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await watching;
      return { slowest, failures };
    },
  };
}

test("deeply nested HTML from Alice: other rooms keep moving, /health answers, and the contact gets a bounded text", async (t) => {
  const { setting, directRoom, friend } = chat!;
  await withKeptLogs(setting, "deep-html", async () => {
    inbox = openContactInbox(friend);
    const { alice, bridge, managementRoom } = setting;
    await sendLastAndWait("before the nested messages");
    // Unclosed tags nest as deep as closed ones and keep the events under Synapse's 64 KiB limit.
    const deep = [
      { prefix: "deep list:", html: `deep list: ${"<ol><li>".repeat(5000)}bottom` },
      { prefix: "deep quote:", html: `deep quote: ${"<blockquote>".repeat(4500)}bottom` },
    ];
    const health = watchHealth(bridge.appserviceUrl, 3_000);
    const findings = new Findings();
    try {
      for (const { prefix, html } of deep) {
        await alice.client.sendEvent(
          directRoom,
          "m.room.message" as never,
          {
            msgtype: "m.text",
            body: `${prefix} bottom`,
            format: "org.matrix.custom.html",
            formatted_body: html,
          } as never,
        );
      }
      await findings.check("another room", async () => {
        const pingedAt = Date.now();
        await alice.sendText(managementRoom, "ping");
        await alice.waitForEvent(
          managementRoom,
          (event) =>
            event.getSender() === bridge.botUserId &&
            event.getTs() >= pingedAt &&
            /Connection: /.test(String(event.getContent()["body"] ?? "")),
          "the bot's answer to ping in the management room",
          30_000,
        );
      });
      await findings.check("the nested messages", () =>
        inbox!.waitForCount(deep.length, {
          matches: (message) => deep.some(({ prefix }) => message.body.startsWith(prefix)),
          timeoutMs: 120_000,
          what: "the contact to receive both deeply nested messages",
        }),
      );
    } finally {
      const { slowest, failures } = await health.stop();
      t.diagnostic(`slowest /health answer: ${slowest} ms`);
      await findings.check("/health", () =>
        assert.deepEqual(failures, [], `/health failed ${failures.length} times`),
      );
    }

    for (const { prefix } of deep) {
      const received = inbox.shown(prefix)[0];
      if (!received) continue;
      const bytes = Buffer.byteLength(received.body);
      t.diagnostic(`"${prefix}" reached the contact as ${bytes} bytes`);
      await findings.check(`the size of "${prefix}"`, () =>
        assert.ok(bytes < 100_000, `the contact got ${bytes} bytes`),
      );
    }
    findings.assertNone();
  });
});
