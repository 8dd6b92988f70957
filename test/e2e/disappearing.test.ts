/**
 * Disappearing messages against the mock Signal server and Synapse: the contact's timer shows up
 * as a notice and room state; their messages vanish from Matrix a timer's length after Alice reads
 * them (in Matrix or on her phone), also across a bridge restart; what Alice sends carries the
 * timer to Signal and vanishes a timer's length after sending.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { type Device, EMPTY_DATA_MESSAGE } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { withBridgeLog } from "../support/bridge-process.js";
import { fromUser, ghostOf, loginThroughBot } from "../support/bridge-with-signal.js";
import { introduce } from "../support/linked-signal-client.js";
import { type PhoneAndContact, startPhoneAndContact } from "../support/phone-and-contact.js";
import { waitFor, withTimeout } from "../support/wait.js";

const TIMER_SECONDS = 10;
const TIMER_MS = TIMER_SECONDS * 1000;
const TIMER_VERSION = 2;
const EXPIRATION_TIMER_UPDATE = 2;
const TIMER_STATE = "com.beeper.disappearing_timer";
/** How long a redaction may take to show up once due (bridge timer, homeserver, Alice's sync). */
const REDACTION_SLACK_MS = 30_000;

let cast: PhoneAndContact;
let device: Device;
let directRoom: string;

before(async () => {
  cast = await startPhoneAndContact();
});

after(() => cast?.stop());

type DataMessageFields = Partial<typeof EMPTY_DATA_MESSAGE>;

/** The contact sends a data message with the given fields; returns its Signal timestamp. */
async function friendSends(fields: DataMessageFields, timestamp = Date.now()): Promise<number> {
  await cast.friend.sendRaw(
    device,
    {
      content: { dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(timestamp), ...fields } },
      senderKeyDistributionMessage: null,
      pniSignatureMessage: null,
    },
    { timestamp },
  );
  return timestamp;
}

/** A message from the contact with the chat's timer, as Signal clients send it. */
const timedText = (body: string): DataMessageFields => ({
  body,
  expireTimer: TIMER_SECONDS,
  expireTimerVersion: TIMER_VERSION,
});

function waitForContactMessage(body: string): Promise<MatrixEvent> {
  return cast.world.alice.waitForEvent(
    directRoom,
    fromUser(ghostOf(cast.friend), new RegExp(`^${body}$`)),
    `the contact's message "${body}"`,
  );
}

function waitForRedaction(eventId: string, what: string, timeoutMs = TIMER_MS + REDACTION_SLACK_MS) {
  return cast.world.alice.waitForEvent(
    directRoom,
    (event) => event.getType() === "m.room.redaction" && event.event.redacts === eventId,
    `the redaction of ${what}`,
    timeoutMs,
  );
}

function isRedacted(eventId: string): boolean {
  return cast.world.alice.client.getRoom(directRoom)?.findEventById(eventId)?.isRedacted() ?? false;
}

const timerState = () =>
  cast.world.alice.client.getRoom(directRoom)?.currentState.getStateEvents(TIMER_STATE, "")?.getContent();

async function waitForTimerState(expected: Record<string, unknown>, what: string): Promise<void> {
  await waitFor(() => isDeepStrictEqual(timerState(), expected), {
    timeoutMs: 30_000,
    what: () => `${what} (room state now: ${JSON.stringify(timerState())})`,
  });
}

/** The contact's next read receipt naming `timestamp` (earlier tests left others queued). */
async function receiptFor(timestamp: number): Promise<void> {
  for (;;) {
    const receipt = await cast.friend.waitForReceipt();
    if (receipt.receiptMessage.timestamp.map(Number).includes(timestamp)) return;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("Alice links her account and the contact's first message opens the direct portal", async () => {
  await withBridgeLog(cast.world.bridge, async () => {
    device = await loginThroughBot(cast.world, cast.mock, cast.phone);
    await introduce(cast.phone, device);
    await introduce(cast.friend, device);
    await cast.friend.sendText(device, "Hello before the timer", { withProfileKey: true });
    directRoom = await cast.world.alice.acceptNextInvite("the direct portal with the contact");
    await waitForContactMessage("Hello before the timer");
    assert.equal(timerState(), undefined, "no timer before the contact sets one");
  });
});

test("the contact turns on disappearing messages: a notice, and the room state shows the timer", async () => {
  await withBridgeLog(cast.world.bridge, async () => {
    await friendSends({
      flags: EXPIRATION_TIMER_UPDATE,
      expireTimer: TIMER_SECONDS,
      expireTimerVersion: TIMER_VERSION,
    });
    await cast.world.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(cast.friend), /^Set disappearing messages to 10 seconds$/, "m.notice"),
      "the notice of the new timer",
    );
    await waitForTimerState({ type: "after_read", timer: TIMER_MS }, "the timer in the room state");
  });
});

test("a disappearing message stays while unread and is redacted a timer's length after Alice reads it", async () => {
  await withBridgeLog(cast.world.bridge, async () => {
    await friendSends(timedText("read me and I vanish"));
    const message = await waitForContactMessage("read me and I vanish");
    assert.deepEqual(message.getContent()[TIMER_STATE], { type: "after_read", timer: TIMER_MS });

    await sleep(TIMER_MS + 2_000);
    assert.equal(isRedacted(message.getId()!), false, "unread, it outlived its timer");

    const readAt = Date.now();
    await cast.world.alice.client.sendReadReceipt(message);
    await waitForRedaction(message.getId()!, "the message Alice read");
    assert.ok(Date.now() - readAt >= TIMER_MS - 1_000, "not redacted before the timer ran out");
  });
});

test("reading the message on the phone starts its countdown too", async () => {
  await withBridgeLog(cast.world.bridge, async () => {
    const sentAt = await friendSends(timedText("read on the phone"));
    const message = await waitForContactMessage("read on the phone");
    const readSync = await cast.phone.encryptSyncRead(device, {
      timestamp: Date.now(),
      messages: [{ senderAci: cast.friend.device.aci, timestamp: sentAt }],
    });
    await withTimeout(cast.mock.server.send(device, readSync), 10_000, "the mock to deliver the read sync");
    await waitForRedaction(message.getId()!, "the message read on the phone");
  });
});

test("a message read before the bridge stops is still redacted when it starts again after the timer ran out", async () => {
  await withBridgeLog(cast.world.bridge, async () => {
    const sentAt = await friendSends(timedText("read before a restart"));
    const message = await waitForContactMessage("read before a restart");
    const readAt = Date.now();
    await cast.world.alice.client.sendReadReceipt(message);
    // The bridge records the countdown before it sends the read receipt on to the contact.
    await withTimeout(receiptFor(sentAt), 30_000, "the contact to get Alice's read receipt");
    assert.equal(await cast.world.bridge.stop(), 0, "a clean stop");
    assert.ok(Date.now() < readAt + TIMER_MS, "the bridge stopped before the message expired");

    await sleep(readAt + TIMER_MS + 1_000 - Date.now());
    assert.equal(isRedacted(message.getId()!), false, "nothing redacts while the bridge is down");
    await cast.world.bridge.start();
    await waitForRedaction(
      message.getId()!,
      "the message that expired during the restart",
      REDACTION_SLACK_MS,
    );
  });
});

test("Alice's message reaches the contact with the timer and disappears a timer's length after sending", async () => {
  await withBridgeLog(cast.world.bridge, async () => {
    const sentAt = Date.now();
    const eventId = await cast.world.alice.sendText(directRoom, "my reply disappears too");
    const received = await withTimeout(
      cast.friend.waitForMessage(),
      30_000,
      "the contact to receive the reply",
    );
    assert.equal(received.body, "my reply disappears too");
    assert.equal(received.dataMessage.expireTimer, TIMER_SECONDS, "the phone keeps the timer on");
    assert.equal(received.dataMessage.expireTimerVersion, TIMER_VERSION);
    const transcript = await withTimeout(
      cast.phone.waitForSyncMessage(
        (entry) => entry.syncMessage.content?.sent?.message?.body === "my reply disappears too",
      ),
      30_000,
      "the phone to get the sent transcript",
    );
    assert.equal(
      Number(transcript.syncMessage.content?.sent?.expirationStartTimestamp),
      Number(received.dataMessage.timestamp),
      "the phone counts down from the sending",
    );

    const redaction = await waitForRedaction(eventId, "Alice's own message");
    assert.equal(
      redaction.getSender(),
      ghostOf(cast.friend),
      "the contact's ghost, which owns the room, redacts",
    );
    assert.ok(Date.now() - sentAt >= TIMER_MS - 1_000, "not redacted before the timer ran out");
  });
});

test("a disappearing message Alice sends from her phone vanishes from Matrix without being read", async () => {
  await withBridgeLog(cast.world.bridge, async () => {
    const timestamp = Date.now();
    const message = {
      ...EMPTY_DATA_MESSAGE,
      ...timedText("sent from my phone"),
      timestamp: BigInt(timestamp),
    };
    await cast.phone.sendRaw(
      device,
      {
        content: {
          syncMessage: {
            content: {
              sent: {
                destinationServiceIdBinary: cast.friend.device.aciBinary,
                timestamp: BigInt(timestamp),
                message,
                expirationStartTimestamp: BigInt(timestamp),
                destinationE164: null,
                destinationServiceId: null,
                unidentifiedStatus: null,
                isRecipientUpdate: null,
                storyMessage: null,
                storyMessageRecipients: null,
                editMessage: null,
              },
            },
            stickerPackOperation: null,
            read: null,
            viewed: null,
            padding: null,
          },
        },
        pniSignatureMessage: null,
        senderKeyDistributionMessage: null,
      },
      { timestamp },
    );
    const event = await cast.world.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(cast.phone), /^sent from my phone$/),
      "the message sent from the phone",
    );
    await waitForRedaction(event.getId()!, "the message sent from the phone");
  });
});

test("the contact turns the timer off: a notice, empty room state, and Alice's messages carry no timer", async () => {
  await withBridgeLog(cast.world.bridge, async () => {
    await friendSends({
      flags: EXPIRATION_TIMER_UPDATE,
      expireTimer: 0,
      expireTimerVersion: TIMER_VERSION + 1,
    });
    await cast.world.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(cast.friend), /^Turned off disappearing messages$/, "m.notice"),
      "the notice that the timer is off",
    );
    await waitForTimerState({}, "the room state without a timer");

    await cast.world.alice.sendText(directRoom, "this one stays");
    const received = await withTimeout(cast.friend.waitForMessage(), 30_000, "the contact to receive it");
    assert.equal(received.body, "this one stays");
    assert.ok(!received.dataMessage.expireTimer, "no timer any more");
  });
});
