import assert from "node:assert/strict";
import { test } from "node:test";
import { matrixEventToSignal, type MatrixToSignalContext } from "../../../src/convert/index.js";
import { ALICE, BOB, ghostOf, matrixContext } from "./fake-context.js";

const BOB_BYTES = new Uint8Array(Buffer.from(BOB.replace(/-/g, ""), "hex"));

const pollStart = (answers: unknown, maxSelections: unknown = 1) => ({
  type: "org.matrix.msc3381.poll.start",
  content: {
    "org.matrix.msc3381.poll.start": {
      question: { "org.matrix.msc1767.text": "Lunch?" },
      kind: "org.matrix.msc3381.poll.disclosed",
      max_selections: maxSelections,
      answers,
    },
    body: "Lunch?",
  },
});

const response = (answers: unknown, pollEventId = "$poll") => ({
  type: "org.matrix.msc3381.poll.response",
  content: {
    "org.matrix.msc3381.poll.response": { answers },
    "m.relates_to": { rel_type: "m.reference", event_id: pollEventId },
  },
  sentAt: 1_700_000_123_456,
});

const withPoll = (answerIds?: string[]): MatrixToSignalContext => ({
  ...matrixContext({ $poll: { authorAci: BOB, sentTimestamp: 1000 } }),
  pollAnswersOf: async (eventId) => (eventId === "$poll" ? answerIds : undefined),
});

test("Matrix -> Signal: a poll becomes a Signal poll, remembering its answer ids in order", async () => {
  const result = await matrixEventToSignal(
    pollStart(
      [
        { id: "p", "org.matrix.msc1767.text": "Pizza" },
        { id: "s", "m.text": [{ body: "Soup" }] },
        { id: "p", "org.matrix.msc1767.text": "Pizza again" },
        { "org.matrix.msc1767.text": "no id" },
      ],
      2,
    ),
    matrixContext(),
  );
  assert.deepEqual(result, {
    kind: "poll",
    dataMessage: { pollCreate: { question: "Lunch?", allowMultiple: true, options: ["Pizza", "Soup"] } },
    answerIds: ["p", "s"],
  });
});

test("Matrix -> Signal: a poll without two answers is not sent, with a reason", async () => {
  const result = await matrixEventToSignal(
    pollStart([{ id: "a", "org.matrix.msc1767.text": "Only" }]),
    matrixContext(),
  );
  assert.equal(result.kind, "ignored");
  assert.equal((await matrixEventToSignal(pollStart("nonsense"), matrixContext())).kind, "ignored");
});

test("Matrix -> Signal: a poll keeps at most 10 answers", async () => {
  const answers = Array.from({ length: 15 }, (_, i) => ({ id: `a${i}`, "org.matrix.msc1767.text": `${i}` }));
  const result = await matrixEventToSignal(pollStart(answers), matrixContext());
  assert.ok(result.kind === "poll");
  assert.equal(result.answerIds.length, 10);
});

test("Matrix -> Signal: a vote on a Matrix poll names the answers by their position", async () => {
  const result = await matrixEventToSignal(response(["s", "nope", "p", "s"]), withPoll(["p", "s"]));
  assert.deepEqual(result, {
    kind: "poll-update",
    dataMessage: {
      pollVote: {
        targetAuthorAciBinary: BOB_BYTES,
        targetSentTimestamp: 1000,
        optionIndexes: [1, 0],
        voteCount: 1_700_000_123,
      },
    },
  });
});

test("Matrix -> Signal: a vote on a poll from Signal uses the positions the ids are", async () => {
  const result = await matrixEventToSignal(response(["2", "x", 3]), withPoll(undefined));
  assert.ok(result.kind === "poll-update");
  assert.deepEqual(result.dataMessage.pollVote?.optionIndexes, [2]);
});

test("Matrix -> Signal: a vote or end for a poll not on Signal is not sent", async () => {
  assert.equal((await matrixEventToSignal(response(["0"], "$unknown"), withPoll())).kind, "ignored");
  const end = {
    type: "org.matrix.msc3381.poll.end",
    content: { "m.relates_to": { rel_type: "m.reference", event_id: "$unknown" } },
  };
  assert.equal((await matrixEventToSignal(end, withPoll())).kind, "ignored");
});

test("Matrix -> Signal: the end of a poll ends the Signal poll", async () => {
  const end = {
    type: "org.matrix.msc3381.poll.end",
    content: {
      "org.matrix.msc3381.poll.end": {},
      "m.relates_to": { rel_type: "m.reference", event_id: "$poll" },
    },
  };
  assert.deepEqual(await matrixEventToSignal({ ...end, sender: ghostOf(BOB) }, withPoll()), {
    kind: "poll-update",
    dataMessage: { pollTerminate: { targetSentTimestamp: 1000 } },
  });
  const notAuthor = await matrixEventToSignal({ ...end, sender: ghostOf(ALICE) }, withPoll());
  assert.equal(notAuthor.kind, "ignored", "only the poll's author can end it");
});
