/**
 * Double puppeting by shared secret (an `as_token:` of a second registration Synapse loads): what
 * Alice does on her phone appears from her own Matrix account, marked so it never goes back to
 * Signal; she is in her portals without an invite, her DM is in her m.direct, and her ghost stays out.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { EMPTY_DATA_MESSAGE, type Device, type PrimaryDevice } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  ghostOf,
  loginThroughBot,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import {
  type DoublePuppetRegistration,
  writeDoublePuppetRegistration,
} from "../support/double-puppet-registration.js";
import { introduce } from "../support/linked-signal-client.js";
import { phoneSent, type SentFromPhone } from "../support/phone-sync-sent.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { waitFor, withTimeout } from "../support/wait.js";

const MARKER = "fi.mau.double_puppet_source";

let mock: MockSignalServer;
let registration: DoublePuppetRegistration | undefined;
let setting: BridgeWithSignal | undefined;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let directRoom: string;
let friendTimestamp: number;

before(async () => {
  mock = await startMockSignalServer();
  registration = await writeDoublePuppetRegistration();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  setting = await startBridgeWithSignal(
    mock,
    { double_puppet: { secrets: registration.secrets } },
    { extraAppserviceFiles: [registration.file] },
  );
  device = await loginThroughBot(setting, mock, phone);
  await introduce(phone, device);
  await introduce(friend, device);
});

after(async () => {
  await setting?.stop();
  await registration?.remove();
  await mock?.close();
});

const alice = () => setting!.alice;

/** The phone tells the bridge it sent `sent` to the friend, as Signal's apps do. */
const phoneSentToFriend = (sent: SentFromPhone, timestamp?: number) =>
  phoneSent(phone, device, friend, sent, timestamp);

const fromAlice = (matches: (event: MatrixEvent) => boolean) => (event: MatrixEvent) =>
  event.getSender() === alice().userId && matches(event);

test("Alice is in the new direct portal without an invite, and it is in her m.direct", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    friendTimestamp = Date.now();
    await friend.sendText(device, "Hello from Signal", { withProfileKey: true, timestamp: friendTimestamp });
    const client = alice().client;
    await waitFor(
      () => {
        const room = client
          .getRooms()
          .find((r) => r.getMember(ghostOf(friend)) && r.getMyMembership() === "join");
        if (room) directRoom = room.roomId;
        return room !== undefined;
      },
      { timeoutMs: 30_000, what: "Alice to be joined to the direct portal" },
    );
    await alice().waitForEvent(
      directRoom,
      (e) => e.getSender() === ghostOf(friend) && e.getContent()["body"] === "Hello from Signal",
      "the friend's message",
    );
    const invites = (await alice().roomEvents(directRoom)).filter(
      (e) => e.type === "m.room.member" && e.content["membership"] === "join" && e.sender === alice().userId,
    );
    assert.equal(invites.length, 1, "Alice joined once, by the bridge");
    await waitFor(
      () => {
        const direct = client.getAccountData("m.direct" as never)?.getContent() as
          Record<string, string[]> | undefined;
        return direct?.[ghostOf(friend)]?.includes(directRoom) ?? false;
      },
      { timeoutMs: 30_000, what: "the direct portal in Alice's m.direct under the friend's ghost" },
    );
  });
});

test("a message, reaction, edit and delete from the phone appear from Alice's own account, marked", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const sentAt = Date.now();
    await phoneSentToFriend({ message: { body: "typed on my phone" } }, sentAt);
    const message = await alice().waitForEvent(
      directRoom,
      fromAlice((e) => e.getContent()["body"] === "typed on my phone"),
      "the phone's message from Alice's account",
    );
    assert.ok(message.getContent()[MARKER], "the event carries the double puppet marker");

    await phoneSentToFriend({
      message: {
        reaction: {
          emoji: "👍",
          remove: false,
          targetAuthorAci: friend.device.aci,
          targetAuthorAciBinary: null,
          targetSentTimestamp: BigInt(friendTimestamp),
        } as never,
      },
    });
    const reaction = await alice().waitForEvent(
      directRoom,
      fromAlice((e) => e.getType() === "m.reaction"),
      "the phone's reaction from Alice's account",
    );
    assert.equal(reaction.getContent()["m.relates_to"]?.key, "👍");

    await phoneSentToFriend({
      editMessage: {
        targetSentTimestamp: BigInt(sentAt),
        dataMessage: {
          ...EMPTY_DATA_MESSAGE,
          timestamp: BigInt(Date.now()),
          body: "typed on my phone, fixed",
        },
      },
    });
    const edit = await alice().waitForEvent(
      directRoom,
      fromAlice((e) => e.getContent()["m.relates_to"]?.rel_type === "m.replace"),
      "the phone's edit from Alice's account",
    );
    assert.equal(edit.getContent()["m.new_content"]?.body, "typed on my phone, fixed");

    await phoneSentToFriend({ message: { delete: { targetSentTimestamp: BigInt(sentAt) } as never } });
    await waitFor(
      async () =>
        (await alice().roomEvents(directRoom)).some(
          (e) => e.event_id === message.getId() && e.redacted_because,
        ),
      { timeoutMs: 30_000, what: "the phone's delete to redact the message" },
    );
    const redaction = (await alice().roomEvents(directRoom)).find(
      (e) => e.type === "m.room.redaction" && e.sender === alice().userId,
    );
    assert.ok(redaction?.content[MARKER], "the redaction is Alice's, marked");
  });
});

test("a read on the phone moves Alice's read receipt", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const timestamp = Date.now();
    await friend.sendText(device, "Read me on your phone", { timestamp });
    const message = await alice().waitForEvent(
      directRoom,
      (e) => e.getSender() === ghostOf(friend) && e.getContent()["body"] === "Read me on your phone",
      "the friend's second message",
    );
    const read = await phone.encryptSyncRead(device, {
      timestamp: Date.now(),
      messages: [{ senderAci: friend.device.aci, timestamp }],
    });
    await withTimeout(mock.server.send(device, read), 10_000, "the mock to deliver the read sync");
    const room = alice().client.getRoom(directRoom)!;
    await waitFor(() => room.getEventReadUpTo(alice().userId) === message.getId(), {
      timeoutMs: 30_000,
      what: () => `Alice's read receipt on the message (now on ${room.getEventReadUpTo(alice().userId)})`,
    });
  });
});

test("nothing the bridge sent as Alice goes back to Signal, and her ghost is in no room", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await alice().sendText(directRoom, "written in Matrix");
    const received = await withTimeout(
      friend.waitForMessage(),
      30_000,
      "the friend to get Alice's Matrix message",
    );
    assert.equal(received.body, "written in Matrix", "the first thing the friend gets from the bridge");
    assert.equal(friend.getMessageQueueSize(), 0, "nothing else reached the friend");
    assert.equal(friend.getReceiptQueueSize(), 0, "the phone's read was not sent again as a receipt");
    for (const room of alice().client.getRooms()) {
      assert.equal(
        room.getMember(ghostOf(phone))?.membership ?? "none",
        "none",
        `Alice's ghost in ${room.roomId}`,
      );
    }
  });
});
