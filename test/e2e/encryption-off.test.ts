/**
 * A bridge without encryption (encryption.allow false, the default) says so, instead of staying
 * silent: an invite to an encrypted room and an encrypted message each get a notice, once per room.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { MatrixEvent } from "matrix-js-sdk";
import { type BridgeProcess, prepareBridge, withBridgeLog } from "../support/bridge-process.js";
import { type MatrixUser, startMatrixUser } from "../support/matrix-user.js";
import { type Synapse, startSynapse } from "../support/synapse.js";
import { freePort } from "../support/wait.js";

let synapse: Synapse | undefined;
let bridge: BridgeProcess | undefined;
let alice: MatrixUser | undefined;

const notSetUp = (event: MatrixEvent) =>
  event.getSender() === bridge!.botUserId &&
  event.getContent()["msgtype"] === "m.notice" &&
  /not set up for encrypted rooms.*encryption\.allow/s.test(String(event.getContent()["body"]));

before(async () => {
  const synapsePort = await freePort();
  bridge = await prepareBridge({
    homeserverUrl: `http://127.0.0.1:${synapsePort}`,
    serverName: "localhost",
    permissions: { localhost: "user" },
  });
  synapse = await startSynapse({ port: synapsePort, appserviceFiles: [bridge.registrationFile] });
  await bridge.start();
  alice = await startMatrixUser(synapse.url, await synapse.registerUser("alice"), { encryption: true });
});

after(async () => {
  alice?.stop();
  await bridge?.cleanup();
  await synapse?.stop();
});

test("an invite to an encrypted DM is answered with a notice saying what to ask the administrator", async () => {
  await withBridgeLog(bridge!, async () => {
    const room = await alice!.createDirectRoom(bridge!.botUserId, { encrypted: true });
    const notice = await alice!.waitForEvent(room, notSetUp, "the bot's notice");
    assert.equal(notice.isEncrypted(), false, "the notice is readable without the bridge's keys");
    await alice!.waitForMembership(room, bridge!.botUserId, "leave");
  });
});

test("encrypted messages in a room that turned encrypted get one notice, not silence and not one each", async () => {
  await withBridgeLog(bridge!, async () => {
    const room = await alice!.createDirectRoom(bridge!.botUserId);
    await alice!.waitForMembership(room, bridge!.botUserId, "join");
    await alice!.client.sendStateEvent(
      room,
      "m.room.encryption" as never,
      { algorithm: "m.megolm.v1.aes-sha2" } as never,
      "",
    );
    await alice!.waitForEvent(
      room,
      (event) => event.getType() === "m.room.encryption",
      "encryption turned on",
    );
    await alice!.sendText(room, "help");
    await alice!.waitForEvent(room, notSetUp, "the notice about encryption");
    await alice!.sendText(room, "help again");
    await alice!.sendText(room, "and again");
    // The bot answers every unencrypted command; an encrypted one it cannot read gets nothing more.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const timeline = alice!.client.getRoom(room)!.getLiveTimeline().getEvents();
    assert.equal(timeline.filter(notSetUp).length, 1, "one notice for the room");
    assert.match(bridge!.output(), /is encrypted; encryption is not allowed/);
  });
});
