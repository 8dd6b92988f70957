import assert from "node:assert/strict";
import { test } from "node:test";
import { matrixEventToSignal, type SignalOutgoing } from "../../../../src/convert/index.js";
import { type RelayFormats, relayedEvent } from "../../../../src/bridge/relay-mode/index.js";

const formats: RelayFormats = {
  "m.text": "<b>{name}</b>: {message}",
  "m.notice": "<b>{name}</b>: {message}",
  "m.emote": "* <b>{name}</b> {message}",
  "m.image": "<b>{name}</b> sent an image: {message}",
  "m.video": "<b>{name}</b> sent a video: {message}",
  "m.audio": "<b>{name}</b> sent an audio file: {message}",
  "m.file": "<b>{name}</b> sent a file: {message}",
  "m.location": "<b>{name}</b> sent a location: {message}",
};

const context = {
  aciOfMatrixUser: () => undefined,
  signalMessageOf: async () => ({ authorAci: "aci-1", sentTimestamp: 7 }),
};

/** What Signal gets for a relayed event (which must not be ignored). */
async function onSignal(type: string, content: Record<string, unknown>, name = "Carol") {
  const outgoing = await matrixEventToSignal(relayedEvent({ type, content }, formats, name), context);
  assert.notEqual(outgoing.kind, "ignored", JSON.stringify(outgoing));
  return outgoing as Exclude<SignalOutgoing, { kind: "ignored" }>;
}

test("a relayed text reads with the sender's name in bold before it", async () => {
  const outgoing = await onSignal("m.room.message", { msgtype: "m.text", body: "Hi <there>" });
  assert.equal(outgoing.kind, "message");
  assert.equal(outgoing.dataMessage.body, "Carol: Hi <there>");
  assert.deepEqual(
    outgoing.dataMessage.bodyRanges?.map((range) => [range.start, range.length, range.style]),
    [[0, 5, 1]],
  );
});

test("the sender's formatting is kept after the name, and their name is taken as text", async () => {
  const outgoing = await onSignal(
    "m.room.message",
    {
      msgtype: "m.text",
      body: "so *cool*",
      format: "org.matrix.custom.html",
      formatted_body: "so <i>cool</i>",
    },
    "<i>Eve</i>",
  );
  assert.equal(outgoing.dataMessage.body, "<i>Eve</i>: so cool");
  assert.equal(outgoing.dataMessage.bodyRanges?.length, 2, "the name in bold, cool in italics");
});

test("an emote gets its template instead of /me; a reply keeps its quote without the fallback", async () => {
  assert.equal(
    (await onSignal("m.room.message", { msgtype: "m.emote", body: "waves" })).dataMessage.body,
    "* Carol waves",
  );
  const reply = onSignal("m.room.message", {
    msgtype: "m.text",
    body: "> <@bob:hs> Who?\n\nMe",
    "m.relates_to": { "m.in_reply_to": { event_id: "$q" } },
  });
  assert.equal((await reply).dataMessage.body, "Carol: Me");
  assert.equal((await reply).dataMessage.quote?.id, 7);
  assert.equal((await reply).dataMessage.quote?.text, "Who?");
});

test("a file goes with its name in the template, or its caption when it has one", async () => {
  const file = await onSignal("m.room.message", { msgtype: "m.file", body: "notes.pdf", url: "mxc://hs/f" });
  assert.equal(file.kind, "message");
  assert.equal(file.dataMessage.body, "Carol sent a file: notes.pdf");
  assert.equal(file.kind === "message" && file.attachments[0]?.pointer.fileName, "notes.pdf");

  const captioned = await onSignal("m.room.message", {
    msgtype: "m.image",
    body: "look at this",
    filename: "cat.png",
    url: "mxc://hs/c",
  });
  assert.equal(captioned.dataMessage.body, "Carol sent an image: look at this");
  assert.equal(captioned.kind === "message" && captioned.attachments[0]?.pointer.fileName, "cat.png");

  const sticker = await onSignal("m.sticker", {
    body: "smile",
    url: "mxc://hs/s",
    info: { mimetype: "image/webp" },
  });
  assert.equal(sticker.dataMessage.body, "Carol sent an image: smile");
});

test("an edit gets the template in its new content; reactions and redactions pass unchanged", async () => {
  const edit = onSignal("m.room.message", {
    msgtype: "m.text",
    body: "* fixed",
    "m.new_content": { msgtype: "m.text", body: "fixed" },
    "m.relates_to": { rel_type: "m.replace", event_id: "$old" },
  });
  assert.equal((await edit).kind, "edit");
  assert.equal((await edit).dataMessage.body, "Carol: fixed");
  const reaction = { type: "m.reaction", content: { "m.relates_to": { key: "👍" } } };
  assert.equal(relayedEvent(reaction, formats, "Carol"), reaction);
});

test("a location carries the template and the map link", async () => {
  const location = onSignal("m.room.message", {
    msgtype: "m.location",
    body: "Café",
    geo_uri: "geo:52.5,13.4",
  });
  assert.match(
    (await location).dataMessage.body ?? "",
    /^Carol sent a location: Café\nhttps:\/\/maps\.google\.com/,
  );
});
