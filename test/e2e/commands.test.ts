/**
 * The account commands as a user meets them in the management room: list, pm, safety-number,
 * sync and logout, against the bridge process, a real Synapse and the mock Signal server.
 */
import assert from "node:assert/strict";
import { withBridgeLog } from "../support/bridge-process.js";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Aci, Fingerprint, PublicKey } from "@signalapp/libsignal-client";
import { type Device, type PrimaryDevice, StorageState } from "@signalapp/mock-server";
import BetterSqlite3 from "better-sqlite3";
import type { MatrixEvent } from "matrix-js-sdk";
import {
  type BridgeWithSignal,
  fromUser,
  loginThroughBot,
  startBridgeWithSignal,
  ghostOf,
} from "../support/bridge-with-signal.js";
import { introduce } from "../support/linked-signal-client.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { waitFor } from "../support/wait.js";

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;
let directRoom: string;

/** Sends a command in the management room and returns the bot's first reply matching `pattern`. */
async function command(text: string, pattern: RegExp, what: string): Promise<MatrixEvent> {
  const { alice, bridge, managementRoom } = setting!;
  await alice.sendText(managementRoom, text);
  return alice.waitForEvent(managementRoom, fromUser(bridge.botUserId, pattern, "m.notice"), what);
}

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  setting = await startBridgeWithSignal(mock);
  device = await loginThroughBot(setting, mock, phone);
  await introduce(phone, device);
  await introduce(friend, device);
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

test("list shows the contact the phone synced, by name", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    // The phone answers the link's contact sync request on its own; wait until it is stored.
    await waitFor(() => setting!.bridge.output().includes("contact list of @alice:localhost"), {
      timeoutMs: 30_000,
      what: "the bridge to store the phone's contact list",
    });
    const reply = await command("list", /^Contacts \(1\):/, "the contact list");
    const body = String(reply.getContent()["body"]);
    assert.match(body, new RegExp(`• Friend Contact \\(\\${friend.device.number}\\): ${friend.device.aci}`));
    assert.doesNotMatch(body, new RegExp(phone.device.aci), "the account itself is no contact");
  });
});

test("pm with a contact's name invites Alice to a direct portal named after them; unknown names are explained", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await command(
      "pm nobody-by-that-name",
      /^No contact matches "nobody-by-that-name"/,
      "the unknown-contact reply",
    );

    await command("pm friend", /^Opened a chat with Friend Contact/, "the pm confirmation");
    directRoom = await setting!.alice.acceptNextInvite("the direct portal opened by pm");
    assert.equal(setting!.alice.client.getRoom(directRoom)?.name, "Friend Contact");

    // The contact's next message lands in the room pm opened.
    await friend.sendText(device, "Hi Alice", { withProfileKey: true });
    await setting!.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^Hi Alice$/),
      "the contact's message",
    );
  });
});

test("pm with a username opens a chat with whoever has it on Signal, even outside the contacts", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const stranger = await mock.server.createPrimaryDevice({ profileName: "Stranger" });
    await mock.server.setUsername(stranger.device.aci, "stranger.42");

    await command(
      "pm nobody.99",
      /^Nobody on Signal has the username nobody\.99/,
      "the unknown-username reply",
    );
    await command(
      "pm 9lives.42",
      /is not a Signal username: it cannot start with a digit/,
      "the bad-username reply",
    );

    await command("pm @stranger.42", /^Opened a chat with /, "the pm-by-username confirmation");
    const strangerRoom = await setting!.alice.acceptNextInvite("the direct portal opened by username");
    await setting!.alice.sendText(strangerRoom, "Hello, found you by username");
    const received = await stranger.waitForMessage();
    assert.equal(received.body, "Hello, found you by username");
    assert.equal(received.source.aci, phone.device.aci, "the message comes from Alice's account");
  });
});

test("safety-number replies with the 60 digits libsignal derives from both identity keys", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const reply = await command(
      "safety-number Friend Contact",
      /^Safety number with Friend Contact:/,
      "the safety number",
    );
    const body = String(reply.getContent()["body"]);
    const shown = body.split("\n").slice(1, 4);
    assert.ok(
      shown.every((line) => /^\d{5} \d{5} \d{5} \d{5}$/.test(line)),
      `three lines of four groups of five digits, got ${JSON.stringify(shown)}`,
    );
    // The mock ships its own copy of libsignal: keys cross over as bytes.
    const identityOf = async (primary: PrimaryDevice) =>
      PublicKey.deserialize((await primary.device.getIdentityKey()).serialize());
    const expected = Fingerprint.new(
      5200,
      2,
      Aci.fromUuid(phone.device.aci).getServiceIdBinary(),
      await identityOf(phone),
      Aci.fromUuid(friend.device.aci).getServiceIdBinary(),
      await identityOf(friend),
    )
      .displayableFingerprint()
      .toString();
    assert.equal(shown.join("").replace(/ /g, ""), expected);
  });
});

test("sync creates the portal of a group the phone keeps in its storage", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const group = await friend.createGroup({ title: "Book club", members: [friend, phone] });
    await phone.setStorageState(StorageState.getEmpty().addGroup(group, { whitelisted: true }));

    const reply = await command("sync", /^Sync done/, "the sync report");
    assert.match(String(reply.getContent()["body"]), /• Book club: room created/);
    const groupRoom = await setting!.alice.acceptNextInvite("the group portal created by sync");
    assert.equal(setting!.alice.client.getRoom(groupRoom)?.name, "Book club");

    const again = await command("sync", /Book club: room already there/, "the second sync report");
    assert.match(String(again.getContent()["body"]), /^Sync done/);
  });
});

test("logout ends the login, deletes the account's Signal rows and names the rooms left behind", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const databaseFile = join(setting!.bridge.dir, "bridge.db");
    const rowsOfAlice = () => {
      const db = new BetterSqlite3(databaseFile, { readonly: true });
      try {
        const tables = db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'signal_%'")
          .pluck()
          .all() as string[];
        return Object.fromEntries(
          tables.map((table) => [
            table,
            db.prepare(`SELECT count(*) FROM ${table} WHERE account_id = ?`).pluck().get("@alice:localhost"),
          ]),
        ) as Record<string, number>;
      } finally {
        db.close();
      }
    };
    const before = rowsOfAlice();
    assert.ok(
      before["signal_accounts"] === 1 && (before["signal_sessions"] ?? 0) > 0,
      "Alice's account is stored",
    );

    const reply = await command("logout", /^Logged out/, "the logout confirmation");
    const body = String(reply.getContent()["body"]);
    assert.match(body, /no longer bridged: Friend Contact/);
    // The mock server has no DELETE /v1/devices/:id route: the bridge must say so and still log out.
    assert.match(body, /did not remove this device .*Settings → Linked devices/);

    await command("ping", /^You are not logged in/, "ping after logout");
    const after = rowsOfAlice();
    assert.deepEqual(
      Object.entries(after).filter(([, count]) => count !== 0),
      [],
      "no signal_* row of Alice is left",
    );
  });
});
