/**
 * Polls both ways: a contact's Signal poll shows up as an MSC3381 poll (with a text fallback),
 * the contact's votes as responses from their ghost, and the end of the poll as a poll end;
 * Alice's Matrix poll, votes and poll end reach the contact as Signal's.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Device, EMPTY_DATA_MESSAGE, type PrimaryDevice } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  ghostOf,
  loginThroughBot,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { introduce } from "../support/linked-signal-client.js";
import { withTimeout } from "../support/wait.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";

type DataMessage = typeof EMPTY_DATA_MESSAGE;

let mock: MockSignalServer;
let world: BridgeWithSignal;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let directRoom: string | undefined;
let nextTimestamp = Date.now();

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  world = await startBridgeWithSignal(mock);
});

after(async () => {
  await world?.stop();
  await mock?.close();
});

/** The contact sends a data message with `fields`; resolves with its timestamp. */
async function contactSends(fields: Partial<DataMessage>): Promise<number> {
  const timestamp = ++nextTimestamp;
  await friend.sendRaw(
    device,
    {
      content: { dataMessage: { ...EMPTY_DATA_MESSAGE, timestamp: BigInt(timestamp), ...fields } },
      pniSignatureMessage: null,
      senderKeyDistributionMessage: null,
    },
    { timestamp },
  );
  return timestamp;
}

async function nextFromContact(matches: (event: MatrixEvent) => boolean, what: string): Promise<MatrixEvent> {
  if (!directRoom) directRoom = await world.alice.acceptNextInvite("the direct portal with the contact");
  return world.alice.waitForEvent(directRoom, (e) => e.getSender() === ghostOf(friend) && matches(e), what);
}

const aciBytes = (aci: string) => new Uint8Array(Buffer.from(aci.replace(/-/g, ""), "hex"));

let contactPollId = "";
let contactPollSentAt = 0;

test("Alice links her Signal account through the bot", async () => {
  await withBridgeLog(world.bridge, async () => {
    device = await loginThroughBot(world, mock, phone);
    await introduce(phone, device);
    await introduce(friend, device);
  });
});

test("a contact's Signal poll shows up as an MSC3381 poll with a text fallback", async () => {
  await withBridgeLog(world.bridge, async () => {
    contactPollSentAt = await contactSends({
      pollCreate: { question: "Pizza or pasta?", options: ["Pizza", "Pasta", "Both"], allowMultiple: true },
    } as Partial<DataMessage>);
    const poll = await nextFromContact(
      (e) => e.getType() === "org.matrix.msc3381.poll.start",
      "the contact's poll",
    );
    contactPollId = poll.getId() ?? "";
    const content = poll.getContent();
    assert.deepEqual(content["org.matrix.msc3381.poll.start"], {
      question: { "org.matrix.msc1767.text": "Pizza or pasta?" },
      kind: "org.matrix.msc3381.poll.disclosed",
      max_selections: 3,
      answers: [
        { id: "0", "org.matrix.msc1767.text": "Pizza" },
        { id: "1", "org.matrix.msc1767.text": "Pasta" },
        { id: "2", "org.matrix.msc1767.text": "Both" },
      ],
    });
    assert.match(String(content["body"]), /^Poll: Pizza or pasta\?\n1\. Pizza\n2\. Pasta\n3\. Both/);
    assert.equal(content["org.matrix.msc1767.text"], content["body"]);
  });
});

test("the contact's votes show up as responses from the contact's ghost, a changed vote as a new one", async () => {
  await withBridgeLog(world.bridge, async () => {
    const target = {
      targetAuthorAciBinary: aciBytes(friend.device.aci),
      targetSentTimestamp: BigInt(contactPollSentAt),
    };
    await contactSends({
      pollVote: { ...target, optionIndexes: [0, 2], voteCount: 1 },
    } as Partial<DataMessage>);
    const first = await nextFromContact(
      (e) => e.getType() === "org.matrix.msc3381.poll.response",
      "the contact's vote",
    );
    assert.deepEqual(first.getContent()["org.matrix.msc3381.poll.response"], { answers: ["0", "2"] });
    assert.deepEqual(first.getContent()["m.relates_to"], {
      rel_type: "m.reference",
      event_id: contactPollId,
    });

    await contactSends({ pollVote: { ...target, optionIndexes: [1], voteCount: 2 } } as Partial<DataMessage>);
    await nextFromContact(
      (e) =>
        e.getType() === "org.matrix.msc3381.poll.response" &&
        JSON.stringify(e.getContent()["org.matrix.msc3381.poll.response"]) ===
          JSON.stringify({ answers: ["1"] }),
      "the contact's changed vote",
    );
  });
});

test("Alice's vote on the contact's poll reaches the contact as a Signal vote", async () => {
  await withBridgeLog(world.bridge, async () => {
    await world.alice.client.sendEvent(
      directRoom!,
      "org.matrix.msc3381.poll.response" as never,
      {
        "org.matrix.msc3381.poll.response": { answers: ["2", "1"] },
        "m.relates_to": { rel_type: "m.reference", event_id: contactPollId },
      } as never,
    );
    const received = await withTimeout(friend.waitForMessage(), 30_000, "the contact to get Alice's vote");
    const vote = received.dataMessage.pollVote;
    assert.ok(vote, "a poll vote");
    assert.deepEqual(vote.optionIndexes, [2, 1]);
    assert.equal(Number(vote.targetSentTimestamp), contactPollSentAt);
    assert.deepEqual(new Uint8Array(vote.targetAuthorAciBinary ?? []), aciBytes(friend.device.aci));
    assert.ok((vote.voteCount ?? 0) > 0, "a vote count");
  });
});

test("the contact ending the poll shows up as an MSC3381 poll end", async () => {
  await withBridgeLog(world.bridge, async () => {
    await contactSends({
      pollTerminate: { targetSentTimestamp: BigInt(contactPollSentAt) },
    } as Partial<DataMessage>);
    const end = await nextFromContact((e) => e.getType() === "org.matrix.msc3381.poll.end", "the poll's end");
    assert.deepEqual(end.getContent()["m.relates_to"], { rel_type: "m.reference", event_id: contactPollId });
    assert.equal(end.getContent()["body"], "Ended the poll");
  });
});

test("Alice's Matrix poll reaches the contact as a Signal poll; their vote comes back with Alice's answer ids", async () => {
  await withBridgeLog(world.bridge, async () => {
    const { event_id: pollId } = await world.alice.client.sendEvent(
      directRoom!,
      "org.matrix.msc3381.poll.start" as never,
      {
        "org.matrix.msc3381.poll.start": {
          question: { "org.matrix.msc1767.text": "Which day?" },
          kind: "org.matrix.msc3381.poll.disclosed",
          max_selections: 1,
          answers: [
            { id: "mon-x1", "org.matrix.msc1767.text": "Monday" },
            { id: "tue-y2", "org.matrix.msc1767.text": "Tuesday" },
          ],
        },
        "org.matrix.msc1767.text": "Which day?\n1. Monday\n2. Tuesday",
        body: "Which day?\n1. Monday\n2. Tuesday",
        msgtype: "m.text",
      } as never,
    );
    const received = await withTimeout(friend.waitForMessage(), 30_000, "the contact to get Alice's poll");
    const poll = received.dataMessage.pollCreate;
    assert.ok(poll, "a poll");
    assert.equal(poll.question, "Which day?");
    assert.deepEqual(poll.options, ["Monday", "Tuesday"]);
    assert.equal(poll.allowMultiple, false);
    const pollSentAt = Number(received.dataMessage.timestamp);

    await contactSends({
      pollVote: {
        targetAuthorAciBinary: aciBytes(phone.device.aci),
        targetSentTimestamp: BigInt(pollSentAt),
        optionIndexes: [1],
        voteCount: 1,
      },
    } as Partial<DataMessage>);
    const response = await nextFromContact(
      (e) =>
        e.getType() === "org.matrix.msc3381.poll.response" &&
        e.getContent()["m.relates_to"]?.event_id === pollId,
      "the contact's vote on Alice's poll",
    );
    assert.deepEqual(response.getContent()["org.matrix.msc3381.poll.response"], { answers: ["tue-y2"] });

    await world.alice.client.sendEvent(
      directRoom!,
      "org.matrix.msc3381.poll.end" as never,
      {
        "org.matrix.msc3381.poll.end": {},
        "org.matrix.msc1767.text": "Ended the poll",
        body: "Ended the poll",
        msgtype: "m.text",
        "m.relates_to": { rel_type: "m.reference", event_id: pollId },
      } as never,
    );
    const ended = await withTimeout(friend.waitForMessage(), 30_000, "the contact to get the poll's end");
    assert.equal(Number(ended.dataMessage.pollTerminate?.targetSentTimestamp), pollSentAt);
  });
});
