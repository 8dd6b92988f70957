import assert from "node:assert/strict";
import { test } from "node:test";
import { rateLimitErrorOf } from "../../../../src/signal/message-sender.js";
import {
  expirationTimerUpdate,
  readSyncContent,
  RateLimitError,
  reactionMessage,
  textMessage,
  typingContent,
  withQuote,
} from "../../../../src/signal/index.js";
import { signalservice } from "../../../../src/proto/generated/signal.js";

const ACI = "7c9d1e2f-3a4b-4c5d-8e6f-708192a3b4c5";
const ACI_HEX = "7c9d1e2f3a4b4c5d8e6f708192a3b4c5";

/** What a receiver decodes after the content went over the wire. */
function roundTrip(message: signalservice.IDataMessage): signalservice.DataMessage {
  return signalservice.DataMessage.decode(signalservice.DataMessage.encode(message).finish());
}

test("styles and mentions survive encoding, a mention carrying only the ACI string", () => {
  const decoded = roundTrip(
    textMessage("\uFFFC look", [
      { start: 0, length: 1, mentionAci: ACI },
      { start: 2, length: 4, style: "italic" },
    ]),
  );
  assert.equal(decoded.bodyRanges[0]?.mentionAci, ACI);
  assert.equal(
    decoded.bodyRanges[0]?.mentionAciBinary?.length ?? 0,
    0,
    "style/mention is a oneof on the wire",
  );
  assert.equal(decoded.bodyRanges[1]?.style, signalservice.BodyRange.Style.ITALIC);
  assert.deepEqual(roundTrip(textMessage("plain")).bodyRanges, []);
});

test("quotes and reactions name their target by author (string and binary) and timestamp", () => {
  const reply = roundTrip(
    withQuote(textMessage("yes"), { targetSentTimestamp: 42, targetAuthorAci: ACI, text: "?" }),
  );
  assert.equal(Number(reply.quote?.id), 42);
  assert.equal(reply.quote?.authorAci, ACI);
  assert.equal(Buffer.from(reply.quote?.authorAciBinary ?? []).toString("hex"), ACI_HEX);
  assert.equal(reply.body, "yes");

  const reaction = roundTrip(reactionMessage({ emoji: "🎉", targetAuthorAci: ACI, targetSentTimestamp: 7 }));
  assert.equal(reaction.reaction?.remove, false);
  assert.equal(Buffer.from(reaction.reaction?.targetAuthorAciBinary ?? []).toString("hex"), ACI_HEX);
});

test("timer updates, typing and read syncs have the fields receivers check", () => {
  const timer = roundTrip(expirationTimerUpdate(0, 3));
  assert.equal(timer.flags, signalservice.DataMessage.Flags.EXPIRATION_TIMER_UPDATE);
  assert.equal(timer.expireTimer, 0);
  assert.equal(timer.expireTimerVersion, 3);

  const typing = typingContent("stopped", 9, new Uint8Array([1, 2]));
  assert.equal(typing.typingMessage?.action, signalservice.TypingMessage.Action.STOPPED);
  assert.deepEqual([...(typing.typingMessage?.groupId ?? [])], [1, 2]);
  assert.equal(typingContent("started", 9, null).typingMessage?.groupId, undefined);

  const read = readSyncContent([{ senderAci: ACI, timestamp: 5 }]).syncMessage?.read?.[0];
  assert.equal(Buffer.from(read?.senderAciBinary ?? []).toString("hex"), ACI_HEX);
});

test("rate-limit answers become errors that say what to do", () => {
  const headers = (entries: Record<string, string>) => new Map(Object.entries(entries));
  const challenge = rateLimitErrorOf(ACI, {
    status: 428,
    json: { token: "abc", options: ["recaptcha", "pushChallenge"] },
    headers: headers({}),
  });
  assert.ok(challenge instanceof RateLimitError);
  assert.equal(challenge.challengeToken, "abc");
  assert.deepEqual(challenge.challengeOptions, ["captcha", "pushChallenge"]);
  assert.match(challenge.message, /captcha/);

  const wait = rateLimitErrorOf(ACI, {
    status: 429,
    json: undefined,
    headers: headers({ "retry-after": "120" }),
  });
  assert.equal(wait?.retryAfterSeconds, 120);
  assert.match(wait?.message ?? "", /120 seconds/);

  assert.equal(rateLimitErrorOf(ACI, { status: 409, json: {}, headers: headers({}) }), null);
});
