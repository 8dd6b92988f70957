/**
 * Message requests and blocked chats, as Signal's apps handle them: a stranger's first message
 * opens a portal marked as a request, where nothing goes back (messages, read receipts) until
 * Alice accepts it; a contact's does not. Blocking (with the command, or on the phone in the
 * storage service) stops bridging a chat; unblocking brings it back. The phone hears of Alice's
 * answers.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Device, type PrimaryDevice, StorageState } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  loginThroughBot,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { introduce } from "../support/linked-signal-client.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { withTimeout } from "../support/wait.js";

const ACCEPT = 1;
const BLOCK = 3;

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let stranger: PrimaryDevice;
let blockedPal: PrimaryDevice;
let device: Device;
let strangerRoom: string;
let friendRoom: string;

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  stranger = await mock.server.createPrimaryDevice({ profileName: "Total Stranger" });
  blockedPal = await mock.server.createPrimaryDevice({ profileName: "Blocked Pal" });
  phone = await mock.server.createPrimaryDevice({
    profileName: "Alice Phone",
    contacts: [friend, blockedPal],
  });
  setting = await startBridgeWithSignal(mock, { bridge: { message_status_events: true } });
  device = await loginThroughBot(setting, mock, phone);
  for (const contact of [friend, stranger, blockedPal]) await introduce(contact, device);
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

const alice = () => setting!.alice;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);
}

/** The phone's next sync message answering a message request. */
function phoneHearsAnswer(type: number, what: string) {
  return withTimeout(
    phone.waitForSyncMessage(
      (entry) =>
        entry.syncMessage.content?.messageRequestResponse?.type === type &&
        entry.syncMessage.content.messageRequestResponse.threadAci === stranger.device.aci,
    ),
    30_000,
    what,
  );
}

async function portalCommand(
  roomId: string,
  ghost: string,
  command: string,
  pattern: RegExp,
): Promise<MatrixEvent> {
  await alice().sendText(roomId, `!signal ${command}`);
  return alice().waitForEvent(roomId, fromUser(ghost, pattern, "m.notice"), `the reply to ${command}`);
}

test("a stranger's first message is a message request: nothing goes back until Alice accepts", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await stranger.sendText(device, "Hi, we have not met", { withProfileKey: true });
    strangerRoom = await alice().acceptNextInvite("the stranger's portal");
    await alice().waitForEvent(
      strangerRoom,
      fromUser(ghostOf(stranger), /^Message request: .*!signal accept.*!signal block/s, "m.notice"),
      "the notice that this is a message request",
    );
    const first = await alice().waitForEvent(
      strangerRoom,
      fromUser(ghostOf(stranger), /^Hi, we have not met$/),
      "the stranger's message",
    );
    const refused = await alice().sendText(strangerRoom, "Who are you?");
    await alice().waitForEvent(
      strangerRoom,
      (event) =>
        event.getType() === "com.beeper.message_send_status" &&
        event.getContent()["m.relates_to"]?.event_id === refused &&
        /message request/.test(String(event.getContent()["message"])),
      "the status saying the reply waits for the request to be accepted",
    );
    const receipt = stranger.waitForReceipt();
    await alice().client.sendReadReceipt(first);
    assert.equal(await settlesWithin(receipt, 3000), false, "no read receipt goes to the stranger");

    const answer = phoneHearsAnswer(ACCEPT, "the phone to hear the request was accepted");
    await portalCommand(strangerRoom, ghostOf(stranger), "accept", /^Message request accepted/);
    await answer;
    await alice().sendText(strangerRoom, "Nice to meet you");
    const received = await withTimeout(
      stranger.waitForMessage(),
      30_000,
      "the stranger to get Alice's reply",
    );
    assert.equal(received.body, "Nice to meet you", "the refused reply never went out");

    await stranger.sendText(device, "Likewise");
    const second = await alice().waitForEvent(
      strangerRoom,
      fromUser(ghostOf(stranger), /^Likewise$/),
      "the answer",
    );
    await alice().client.sendReadReceipt(second);
    await withTimeout(receipt, 30_000, "a read receipt to reach the stranger once accepted");
  });
});

test("a contact's first message is no request: Alice can reply at once", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await friend.sendText(device, "Hello Alice", { withProfileKey: true });
    friendRoom = await alice().acceptNextInvite("the contact's portal");
    await alice().waitForEvent(
      friendRoom,
      fromUser(ghostOf(friend), /^Hello Alice$/),
      "the contact's message",
    );
    const events = alice().client.getRoom(friendRoom)?.getLiveTimeline().getEvents() ?? [];
    assert.ok(!events.some(fromUser(ghostOf(friend), /^Message request/)), "no message request notice");
    await alice().sendText(friendRoom, "Hi friend");
    const received = await withTimeout(friend.waitForMessage(), 30_000, "the contact to get the reply");
    assert.equal(received.body, "Hi friend");
  });
});

/** Whether a message the friend sends after `send` arrives before anything new from the stranger. */
async function strangerIsQuiet(send: () => Promise<void>, marker: string): Promise<boolean> {
  const before = new Set(
    (alice().client.getRoom(strangerRoom)?.getLiveTimeline().getEvents() ?? []).map((e) => e.getId()),
  );
  await send();
  // The login's events are bridged in order: once the friend's later message shows, the stranger's was handled.
  await friend.sendText(device, marker);
  await alice().waitForEvent(friendRoom, fromUser(ghostOf(friend), new RegExp(`^${marker}$`)), marker);
  const after = alice().client.getRoom(strangerRoom)?.getLiveTimeline().getEvents() ?? [];
  return !after.some((event) => !before.has(event.getId()) && event.getSender() === ghostOf(stranger));
}

test("block stops bridging the stranger, and tells the phone; unblock brings them back", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const answer = phoneHearsAnswer(BLOCK, "the phone to hear of the block");
    await portalCommand(strangerRoom, ghostOf(stranger), "block", /^Blocked Total Stranger/);
    await answer;
    assert.ok(
      await strangerIsQuiet(
        () => stranger.sendText(device, "Are you still there?"),
        "marker after the block",
      ),
      "the blocked stranger's message is not bridged",
    );
    await portalCommand(strangerRoom, ghostOf(stranger), "unblock", /^Unblocked/);
    await stranger.sendText(device, "Back again");
    await alice().waitForEvent(
      strangerRoom,
      fromUser(ghostOf(stranger), /^Back again$/),
      "the message after unblock",
    );
  });
});

test("a contact blocked on the phone (storage service) is not bridged", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await phone.setStorageState(StorageState.getEmpty().addContact(blockedPal, { blocked: true }));
    const { managementRoom, bridge } = setting!;
    await alice().sendText(managementRoom, "sync");
    await alice().waitForEvent(
      managementRoom,
      fromUser(bridge.botUserId, /^Sync done/, "m.notice"),
      "the sync report",
    );
    await blockedPal.sendText(device, "You cannot hear me", { withProfileKey: true });
    await friend.sendText(device, "marker after the blocked pal");
    await alice().waitForEvent(
      friendRoom,
      fromUser(ghostOf(friend), /^marker after the blocked pal$/),
      "the marker",
    );
    const rooms = alice().client.getRooms();
    assert.ok(
      !rooms.some((room) => room.getMember(ghostOf(blockedPal))),
      "no room with the blocked contact's ghost",
    );
    assert.match(
      setting!.bridge.output(),
      new RegExp(`${blockedPal.device.aci} is blocked`),
      "the bridge left the message out because the contact is blocked",
    );
  });
});
