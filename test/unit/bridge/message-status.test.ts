import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { MediaTooLargeError } from "../../../src/bridge/media-repository.js";
import {
  MESSAGE_STATUS_EVENT_TYPE,
  MessageStatusReporter,
  messageStatusContent,
  sendFailureOf,
} from "../../../src/bridge/message-status.js";
import type { Portals } from "../../../src/bridge/portals.js";
import { createLogger } from "../../../src/logger.js";
import {
  LoggedOutError,
  RateLimitError,
  SendError,
  UnregisteredRecipientError,
  UntrustedIdentityError,
} from "../../../src/signal/index.js";
import { openDatabase, type PortalRow, type Store } from "../../../src/store/index.js";

const group: PortalRow = {
  portalKey: "group:Z3JvdXA=",
  roomId: "!group:hs",
  kind: "group",
  chatId: "Z3JvdXA=",
  receiver: undefined,
  name: "Friends",
  topic: undefined,
  avatarUrl: undefined,
};

test("a status event has the fields mautrix bridges send: network, reference, status, reason, message", () => {
  assert.deepEqual(messageStatusContent("Z3JvdXA=", "$sent", { status: "SUCCESS", deliveredTo: [] }), {
    network: "signal/Z3JvdXA=",
    "m.relates_to": { rel_type: "m.reference", event_id: "$sent" },
    status: "SUCCESS",
    delivered_to_users: [],
  });
  assert.deepEqual(
    messageStatusContent("Z3JvdXA=", "$failed", {
      status: "FAIL_RETRIABLE",
      reason: "m.event_not_handled",
      message: "The bridge could not send this to Signal.",
      internalError: "socket hang up",
    }),
    {
      network: "signal/Z3JvdXA=",
      "m.relates_to": { rel_type: "m.reference", event_id: "$failed" },
      status: "FAIL_RETRIABLE",
      reason: "m.event_not_handled",
      message: "The bridge could not send this to Signal.",
      internal_error: "socket hang up",
    },
  );
});

test("refusals that sending again will not fix are permanent; rate limits and network trouble are not", () => {
  const statusOf = (error: unknown) => {
    const { status, reason } = sendFailureOf(error);
    return `${status} ${reason}`;
  };
  assert.equal(statusOf(new UnregisteredRecipientError("aci")), "FAIL_PERMANENT m.foreign_network_error");
  assert.equal(statusOf(new UntrustedIdentityError("aci")), "FAIL_PERMANENT m.foreign_network_error");
  assert.equal(statusOf(new LoggedOutError("unlinked")), "FAIL_PERMANENT m.no_permission");
  assert.equal(statusOf(new MediaTooLargeError(3, 2)), "FAIL_PERMANENT com.beeper.unsupported_event");
  assert.equal(statusOf(new RateLimitError("aci", 30)), "FAIL_RETRIABLE m.foreign_network_error");
  assert.equal(statusOf(new SendError("no route")), "FAIL_RETRIABLE m.foreign_network_error");
  const unexpected = sendFailureOf(new TypeError("x is undefined"));
  assert.equal(`${unexpected.status} ${unexpected.reason}`, "FAIL_RETRIABLE m.event_not_handled");
  assert.equal(unexpected.internalError, "x is undefined", "the cause stays out of the shown message");
  assert.doesNotMatch(unexpected.message, /undefined/);
  assert.match(sendFailureOf(new UnregisteredRecipientError("aci")).message, /not registered on Signal/);
});

async function openStore(t: TestContext): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), "message-status-"));
  const store = await openDatabase({
    databasePath: join(dir, "bridge.db"),
    keyFilePath: join(dir, "bridge.key"),
  });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

/** A Portals stand-in that records what the reporter sends. */
function recordingPortals() {
  const sent: Array<{ roomId: string; type: string; content: Record<string, unknown> }> = [];
  const portals = {
    async sendAsBridge(portal: PortalRow, type: string, content: Record<string, unknown>) {
      sent.push({ roomId: portal.roomId, type, content });
    },
  } as unknown as Portals;
  return { portals, sent };
}

const quiet = createLogger("error", "test", () => true);
const statusOn = { statusEvents: true, deliveryReceipts: false };

test("delivery confirmations accumulate per message; a recipient's other device and messages not sent from Matrix add none", async (t) => {
  const store = await openStore(t);
  const { portals, sent } = recordingPortals();
  const reporter = new MessageStatusReporter(portals, store.bridge, quiet, statusOn);
  await store.bridge.claimOutgoing("$fromMatrix", group.roomId, "@alice:hs");

  await reporter.sent(group, "$fromMatrix");
  await reporter.delivered(group, "$fromMatrix", "@signal_bob:hs");
  await reporter.delivered(group, "$fromMatrix", "@signal_carol:hs");
  await reporter.delivered(group, "$fromMatrix", "@signal_bob:hs");
  await reporter.delivered(group, "$fromPhone", "@signal_bob:hs");

  assert.ok(sent.every((e) => e.type === MESSAGE_STATUS_EVENT_TYPE && e.roomId === group.roomId));
  assert.deepEqual(
    sent.map((e) => e.content["delivered_to_users"]),
    [[], ["@signal_bob:hs"], ["@signal_bob:hs", "@signal_carol:hs"]],
  );
});

test("a delivery confirmed before Signal's send finished is not forgotten by the SUCCESS status", async (t) => {
  const store = await openStore(t);
  const { portals, sent } = recordingPortals();
  const reporter = new MessageStatusReporter(portals, store.bridge, quiet, statusOn);
  await store.bridge.claimOutgoing("$quick", group.roomId, "@alice:hs");

  await reporter.delivered(group, "$quick", "@signal_bob:hs");
  await reporter.sent(group, "$quick");
  assert.deepEqual(sent.at(-1)?.content["delivered_to_users"], ["@signal_bob:hs"]);
});

test("a status that cannot be sent is logged, not thrown: the message itself was handled", async (t) => {
  const store = await openStore(t);
  const lines: string[] = [];
  const portals = {
    sendAsBridge: async () => {
      throw new Error("M_FORBIDDEN");
    },
  } as unknown as Portals;
  const reporter = new MessageStatusReporter(
    portals,
    store.bridge,
    createLogger("warn", "test", (line) => lines.push(line) > 0),
    statusOn,
  );
  await reporter.sent(group, "$event");
  assert.match(lines.join(""), /could not send the status of \$event/);
});

test("with status events off (the default) nothing is sent, and deliveries are not looked up", async (t) => {
  const store = await openStore(t);
  const { portals, sent } = recordingPortals();
  const reporter = new MessageStatusReporter(portals, store.bridge, quiet, {
    statusEvents: false,
    deliveryReceipts: false,
  });
  await store.bridge.claimOutgoing("$fromMatrix", group.roomId, "@alice:hs");
  await reporter.sent(group, "$fromMatrix");
  await reporter.delivered(group, "$fromMatrix", "@signal_bob:hs");
  await reporter.failed(group, "$fromMatrix", sendFailureOf(new UnregisteredRecipientError("aci")));
  assert.equal(reporter.reportsDeliveries, false);
  assert.deepEqual(sent, []);
});

test("with delivery receipts on, what Signal accepted is marked read by whoever speaks for the bridge", async (t) => {
  const store = await openStore(t);
  const receipts: string[] = [];
  const portals = {
    adminIntent: () => ({
      sendReadReceipt: async (roomId: string, eventId: string) => void receipts.push(`${roomId} ${eventId}`),
    }),
  } as unknown as Portals;
  const reporter = new MessageStatusReporter(portals, store.bridge, quiet, {
    statusEvents: false,
    deliveryReceipts: true,
  });
  await reporter.sent(group, "$accepted");
  await reporter.failed(group, "$refused", sendFailureOf(new UnregisteredRecipientError("aci")));
  assert.deepEqual(receipts, [`${group.roomId} $accepted`]);
});
