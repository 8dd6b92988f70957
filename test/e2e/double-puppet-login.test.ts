/**
 * Double puppeting by `login-matrix` for a server without a configured secret: once Alice gives
 * the bot an access token of hers, what she sends from her phone appears from her own account
 * (marked, and never sent back to Signal); `logout-matrix` goes back to her ghost. The token is
 * not readable in the bridge's database.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
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
import { phoneSent } from "../support/phone-sync-sent.js";
import { withTimeout } from "../support/wait.js";
import { assertNotStored, rawFiles } from "../unit/store/raw-files.js";

const MARKER = "fi.mau.double_puppet_source";

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let directRoom: string;
let token: string;

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  setting = await startBridgeWithSignal(mock);
  device = await loginThroughBot(setting, mock, phone);
  await introduce(phone, device);
  await introduce(friend, device);
  await friend.sendText(device, "Hello from Signal", { withProfileKey: true });
  directRoom = await setting.alice.acceptNextInvite("the direct portal with the friend");
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

const alice = () => setting!.alice;

/** Sends a command in the management room and waits for the bot's answer matching `answer`. */
async function command(text: string, answer: RegExp): Promise<MatrixEvent> {
  const { bridge, managementRoom } = setting!;
  await alice().sendText(managementRoom, text);
  return alice().waitForEvent(
    managementRoom,
    fromUser(bridge.botUserId, answer),
    `the answer to ${text.split(" ")[0]}`,
  );
}

const phoneSentToFriend = (body: string) => phoneSent(phone, device, friend, { message: { body } });

test("without a double puppet, the phone's message comes from Alice's ghost; a bad token is refused", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await phoneSentToFriend("before login-matrix");
    await alice().waitForEvent(
      directRoom,
      fromUser(ghostOf(phone), /^before login-matrix$/),
      "the ghost's message",
    );
    await command("login-matrix not-a-token", /does not accept that access token/);
  });
});

test("after login-matrix the phone's messages come from Alice's account, marked, and go nowhere else", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    // A session of her own for the bridge, as the docs tell users to make.
    token = (await setting!.synapse.login(setting!.aliceCredentials)).accessToken;
    await command(`login-matrix ${token}`, /Double puppeting is on/);

    await phoneSentToFriend("after login-matrix");
    const event = await alice().waitForEvent(
      directRoom,
      fromUser(alice().userId, /^after login-matrix$/),
      "the phone's message from Alice's account",
    );
    assert.ok(event.getContent()[MARKER], "it carries the double puppet marker");

    await alice().sendText(directRoom, "written in Matrix");
    const received = await withTimeout(friend.waitForMessage(), 30_000, "the friend to get Alice's message");
    assert.equal(received.body, "written in Matrix", "the phone's message did not go back to Signal");
    assert.equal(friend.getMessageQueueSize(), 0);

    assertNotStored(rawFiles(join(setting!.bridge.dir, "bridge.db")), { "Alice's access token": token });
    assert.ok(
      !setting!.bridge.output().includes(token),
      "the token is not in the bridge's log (at debug level)",
    );
  });
});

test("after logout-matrix the phone's messages come from Alice's ghost again", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await command("logout-matrix", /forgot your access token/);
    await phoneSentToFriend("after logout-matrix");
    await alice().waitForEvent(
      directRoom,
      fromUser(ghostOf(phone), /^after logout-matrix$/),
      "the phone's message from the ghost",
    );
  });
});
