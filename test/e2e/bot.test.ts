/**
 * The bridge started through its CLI against a real Synapse; Matrix users driven by matrix-js-sdk
 * talk to the bot the way they would from Element.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type BridgeProcess, prepareBridge, withBridgeLog } from "../support/bridge-process.js";
import { type MatrixUser, startMatrixUser } from "../support/matrix-user.js";
import { type Synapse, startSynapse } from "../support/synapse.js";
import { freePort } from "../support/wait.js";

let synapse: Synapse | undefined;
let bridge: BridgeProcess | undefined;
const users: MatrixUser[] = [];

async function newUser(localpart: string): Promise<MatrixUser> {
  const user = await startMatrixUser(synapse!.url, await synapse!.registerUser(localpart));
  users.push(user);
  return user;
}

function isNoticeFrom(sender: string, pattern: RegExp) {
  return (event: import("matrix-js-sdk").MatrixEvent) =>
    event.getSender() === sender &&
    event.getContent()["msgtype"] === "m.notice" &&
    pattern.test(String(event.getContent()["body"]));
}

before(async () => {
  // The registration (made by the bridge's -r) must exist before Synapse starts, and the
  // bridge's config names Synapse's URL: so Synapse's port is chosen first.
  const synapsePort = await freePort();
  bridge = await prepareBridge({
    homeserverUrl: `http://127.0.0.1:${synapsePort}`,
    serverName: "localhost",
    permissions: { "@alice:localhost": "user", "@rita:localhost": "relay" },
  });
  synapse = await startSynapse({ port: synapsePort, appserviceFiles: [bridge.registrationFile] });
  await bridge.start();
});

after(async () => {
  for (const user of users) user.stop();
  await bridge?.cleanup();
  await synapse?.stop();
});

test("a permitted user DMs the bot, sends help and gets the command list", async () => {
  const alice = await newUser("alice");
  const roomId = await alice.createDirectRoom(bridge!.botUserId);
  await withBridgeLog(bridge!, async () => {
    await alice.waitForMembership(roomId, bridge!.botUserId, "join");

    await alice.sendText(roomId, "help");
    const reply = await alice.waitForEvent(
      roomId,
      isNoticeFrom(bridge!.botUserId, /Commands/),
      "the bot's help reply",
    );
    const body = String(reply.getContent()["body"]);
    assert.match(body, /• help: /, "the list names the help command");
    assert.match(
      String(reply.getContent()["formatted_body"]),
      /<li><code>help<\/code>/,
      "an HTML list is sent too",
    );

    await alice.sendText(roomId, "frobnicate");
    await alice.waitForEvent(
      roomId,
      isNoticeFrom(bridge!.botUserId, /Unknown command "frobnicate"/),
      "the unknown-command reply",
    );
  });
});

test("an unpermitted user is refused clearly and the bot leaves", async () => {
  const mallory = await newUser("mallory");
  const roomId = await mallory.createDirectRoom(bridge!.botUserId);
  await withBridgeLog(bridge!, async () => {
    await mallory.waitForEvent(
      roomId,
      isNoticeFrom(bridge!.botUserId, /not allowed to use this Signal bridge/),
      "the refusal",
    );
    await mallory.waitForMembership(roomId, bridge!.botUserId, "leave");
  });
});

test("a user who may not link an account cannot log in", async () => {
  const rita = await newUser("rita");
  const roomId = await rita.createDirectRoom(bridge!.botUserId);
  await withBridgeLog(bridge!, async () => {
    await rita.waitForMembership(roomId, bridge!.botUserId, "join");
    await rita.sendText(roomId, "login");
    await rita.waitForEvent(
      roomId,
      isNoticeFrom(bridge!.botUserId, /login command needs the "user" permission level; yours is "relay"/),
      "the refusal of login",
    );
    const images = rita.client
      .getRoom(roomId)
      ?.getLiveTimeline()
      .getEvents()
      .filter((event) => event.getContent()["msgtype"] === "m.image");
    assert.deepEqual(images, [], "no QR code was shown");
  });
});

test("SIGTERM shuts the bridge down cleanly", async () => {
  const code = await bridge!.stop("SIGTERM");
  assert.equal(code, 0, `exit code after SIGTERM; the bridge logged:\n${bridge!.output()}`);
  assert.match(bridge!.output(), /stopped cleanly/);
});
