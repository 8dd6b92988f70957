/**
 * Mentions of users linked to this bridge, both ways: a Signal mention of a linked account is a
 * pill for that user's own Matrix account (and notifies them), and a Matrix pill of a linked
 * user's account reaches Signal as a mention of their ACI. Other Signal users keep their ghosts.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { EMPTY_DATA_MESSAGE, type Device, type Group, type PrimaryDevice } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  ghostOf,
  loginThroughBot,
  startBridgeUser,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { introduce } from "../support/linked-signal-client.js";
import type { MatrixUser } from "../support/matrix-user.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { waitFor, withTimeout } from "../support/wait.js";

// Where Signal text shows a mention. Pills show the ghosts' display names ("<name> (Signal)").
const PLACEHOLDER = "\uFFFC";
let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let friend: PrimaryDevice;
let other: PrimaryDevice;
let alicePhone: PrimaryDevice;
let bobPhone: PrimaryDevice;
let aliceDevice: Device;
let bobDevice: Device;
let bob: MatrixUser | undefined;
let group: Group;
let groupRoom: string;

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  other = await mock.server.createPrimaryDevice({ profileName: "Other Member" });
  alicePhone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  bobPhone = await mock.server.createPrimaryDevice({ profileName: "Bob Phone", contacts: [friend] });
  setting = await startBridgeWithSignal(mock);
  aliceDevice = await loginThroughBot(setting, mock, alicePhone);
  const started = await startBridgeUser(setting.synapse, setting.bridge, "bob");
  bob = started.user;
  bobDevice = await loginThroughBot(setting, mock, bobPhone, bob, started.managementRoom);
  for (const device of [aliceDevice, bobDevice]) await introduce(friend, device);
});

after(async () => {
  bob?.stop();
  await setting?.stop();
  await mock?.close();
});

/** The friend sends `text` to `devices` (the group's, if `inGroup`) with mentions of `mentioned`, in order. */
async function sendWithMentions(
  devices: Device[],
  text: string,
  mentioned: PrimaryDevice[],
  inGroup: boolean,
): Promise<void> {
  const timestamp = Date.now();
  const bodyRanges = [];
  let from = 0;
  for (const person of mentioned) {
    const start = text.indexOf(PLACEHOLDER, from);
    bodyRanges.push({ start, length: 1, associatedValue: { mentionAci: person.device.aci } });
    from = start + 1;
  }
  for (const device of devices) {
    const distributionId = inGroup ? await friend.sendSenderKey(device) : undefined;
    await friend.sendRaw(
      device,
      {
        content: {
          dataMessage: {
            ...EMPTY_DATA_MESSAGE,
            timestamp: BigInt(timestamp),
            body: text,
            bodyRanges,
            groupV2: inGroup ? group.toContext() : null,
          },
        },
        pniSignatureMessage: null,
        senderKeyDistributionMessage: null,
      },
      inGroup ? { timestamp, sealed: true, group, distributionId } : { timestamp },
    );
  }
}

const withBody = (pattern: RegExp) => (event: MatrixEvent) =>
  event.getSender() === ghostOf(friend) && pattern.test(String(event.getContent()["body"] ?? ""));

/** The events the homeserver notified `user` of (its /notifications list). */
async function notifiedEventIds(user: MatrixUser): Promise<string[]> {
  const response = await fetch(`${user.client.baseUrl}/_matrix/client/v3/notifications?limit=100`, {
    headers: { Authorization: `Bearer ${user.client.getAccessToken()}` },
  });
  assert.equal(response.status, 200, "the notifications of the user");
  const { notifications } = (await response.json()) as { notifications: { event: { event_id: string } }[] };
  return notifications.map((n) => n.event.event_id);
}

async function assertMentioned(user: MatrixUser, roomId: string, event: MatrixEvent): Promise<void> {
  const seen = await user.waitForEvent(
    roomId,
    (e) => e.getId() === event.getId(),
    `the message for ${user.userId}`,
  );
  const details = user.client.getPushDetailsForEvent(seen, true);
  assert.equal(details?.rule?.rule_id, ".m.rule.is_user_mention", `${user.userId} is notified as mentioned`);
  await waitFor(async () => (await notifiedEventIds(user)).includes(event.getId()!), {
    timeoutMs: 30_000,
    what: `the homeserver to notify ${user.userId} of the mention`,
  });
}

test("in a group, a contact's mentions of Alice and Bob are pills of their accounts and notify both", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const alice = setting!.alice;
    group = await friend.createGroup({
      title: "Mention club",
      members: [friend, alicePhone, bobPhone, other],
    });
    await sendWithMentions([aliceDevice, bobDevice], "Hello group", [], true);
    groupRoom = await alice.acceptNextInvite("the group portal");
    assert.equal(await bob!.acceptNextInvite("the group portal"), groupRoom, "one portal for both");
    await bob!.waitForMembership(groupRoom, bob!.userId, "join");

    await sendWithMentions(
      [aliceDevice, bobDevice],
      `Hi ${PLACEHOLDER} and ${PLACEHOLDER}, ask ${PLACEHOLDER}`,
      [alicePhone, bobPhone, other],
      true,
    );
    const event = await alice.waitForEvent(groupRoom, withBody(/^Hi /), "the message with mentions");
    const content = event.getContent();
    assert.equal(
      content["body"],
      "Hi Alice Phone (Signal) and Bob Phone (Signal), ask Other Member (Signal)",
    );
    const html = String(content["formatted_body"]);
    for (const userId of [alice.userId, bob!.userId, ghostOf(other)]) {
      assert.ok(html.includes(`href="https://matrix.to/#/${userId}"`), `a pill of ${userId} in ${html}`);
    }
    assert.ok(!html.includes(ghostOf(alicePhone)) && !html.includes(ghostOf(bobPhone)), "no pill of a ghost");
    assert.ok(html.includes(`>Other Member (Signal)</a>`), "the ghost's pill shows its display name");
    assert.deepEqual(
      new Set(content["m.mentions"]?.user_ids),
      new Set([alice.userId, bob!.userId, ghostOf(other)]),
    );
    await assertMentioned(alice, groupRoom, event);
    await assertMentioned(bob!, groupRoom, event);
  });
});

test("Alice's pill of Bob's account reaches Signal as a mention of Bob's ACI", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const alice = setting!.alice;
    await alice.client.sendEvent(
      groupRoom,
      "m.room.message" as never,
      {
        msgtype: "m.text",
        body: "Bob Phone: see this",
        format: "org.matrix.custom.html",
        formatted_body: `<a href="https://matrix.to/#/${bob!.userId}">Bob</a>: see this`,
        "m.mentions": { user_ids: [bob!.userId] },
      } as never,
    );
    const received = await withTimeout(friend.waitForMessage(), 30_000, "the friend to get Alice's message");
    assert.equal(received.body, `${PLACEHOLDER}: see this`);
    const mentions = (received.dataMessage.bodyRanges ?? []).flatMap((r) => {
      const value = r.associatedValue as { mentionAci?: string } | null;
      return value?.mentionAci ? [[r.start, r.length, value.mentionAci]] : [];
    });
    assert.deepEqual(mentions, [[0, 1, bobPhone.device.aci]], "one mention of Bob's ACI");
  });
});

test("in a direct chat, a contact's mention of Alice is a pill of her account", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const alice = setting!.alice;
    // Notified are those in the room when the message arrives: Alice joins first.
    await sendWithMentions([aliceDevice], "Hello Alice", [], false);
    const directRoom = await alice.acceptNextInvite("the direct portal with the friend");
    await alice.waitForEvent(directRoom, withBody(/^Hello Alice$/), "the first direct message");
    await sendWithMentions([aliceDevice], `Hey ${PLACEHOLDER}`, [alicePhone], false);
    const event = await alice.waitForEvent(
      directRoom,
      withBody(/^Hey /),
      "the direct message with a mention",
    );
    assert.equal(event.getContent()["body"], "Hey Alice Phone (Signal)");
    assert.ok(String(event.getContent()["formatted_body"]).includes(`https://matrix.to/#/${alice.userId}`));
    assert.deepEqual(event.getContent()["m.mentions"], { user_ids: [alice.userId] });
    await assertMentioned(alice, directRoom, event);
  });
});
