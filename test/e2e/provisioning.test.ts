/**
 * The provisioning API as an integration uses it: log a user in (the mock phone scans the QR
 * code the API hands out), list and start chats, log out; and the state of the login as a status
 * endpoint and the management room hear it.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import { parse as parseYaml } from "yaml";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { scanLinkUrl } from "../support/linked-signal-client.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { type StatusReceiver, startStatusReceiver } from "../support/status-receiver.js";
import { waitFor, withTimeout } from "../support/wait.js";

const secret = "e2e-provisioning-secret-0123456789";

let mock: MockSignalServer;
let receiver: StatusReceiver;
let setting: BridgeWithSignal | undefined;
let phone: PrimaryDevice;
let friend: PrimaryDevice;
let device: Device;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A provisioning request as an integration makes it. */
async function provision(
  method: "GET" | "POST",
  path: string,
  { user = setting!.alice.userId, token = secret as string | null } = {},
): Promise<Answer> {
  const url = new URL(`${setting!.bridge.url}/_matrix/provision/v3${path}`);
  url.searchParams.set("user_id", user);
  const response = await fetch(url, {
    method,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The names of the states the status endpoint received, in order. */
const stateNames = () => receiver.received.map((state) => String(state.body["state_event"]));

before(async () => {
  mock = await startMockSignalServer();
  friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
  phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
  receiver = await startStatusReceiver();
  setting = await startBridgeWithSignal(mock, {
    homeserver: { status_endpoint: receiver.url },
    provisioning: { shared_secret: secret },
    bridge: { bridge_status_notices: "all" },
  });
});

after(async () => {
  await setting?.stop();
  await receiver?.close();
  await mock?.close();
});

test("requests without the shared secret, or for users who may not log in, are refused", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    assert.deepEqual(await provision("GET", "/whoami", { token: null }), {
      status: 401,
      body: { errcode: "M_MISSING_TOKEN", error: "Missing auth token" },
    });
    assert.deepEqual(await provision("GET", "/whoami", { token: `${secret}-wrong` }), {
      status: 401,
      body: { errcode: "M_UNKNOWN_TOKEN", error: "Invalid auth token" },
    });
    const stranger = await provision("POST", "/login/start/qr", { user: "@eve:elsewhere.example" });
    assert.equal(stranger.status, 403);
    assert.equal(stranger.body["errcode"], "M_FORBIDDEN");
    const unknown = await provision("GET", "/no_such_thing");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body["errcode"], "M_UNRECOGNIZED");
  });
});

test("whoami describes the bridge and the user before any login", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const { status, body } = await provision("GET", "/whoami");
    assert.equal(status, 200);
    assert.equal((body["network"] as Record<string, unknown>)["network_id"], "signal");
    assert.deepEqual(
      (body["login_flows"] as Array<{ id: string }>).map((flow) => flow.id),
      ["qr"],
    );
    assert.equal(body["homeserver"], "localhost");
    assert.equal(body["bridge_bot"], setting!.bridge.botUserId);
    assert.equal(body["command_prefix"], "!signal");
    assert.equal(body["management_room"], setting!.managementRoom);
    assert.deepEqual(body["logins"], []);
    assert.deepEqual((await provision("GET", "/login/flows")).body, {
      flows: [
        {
          id: "qr",
          name: "QR",
          description: (body["login_flows"] as [{ description: string }])[0].description,
        },
      ],
    });
  });
});

test("login: start hands out the QR code, the phone scans it, the step completes with the login", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const start = await provision("POST", "/login/start/qr");
    assert.equal(start.status, 200, JSON.stringify(start.body));
    assert.equal(start.body["type"], "display_and_wait");
    assert.equal(start.body["step_id"], "fi.mau.signal.login.qr");
    const display = start.body["display_and_wait"] as { type: string; data: string; image_url: string };
    assert.equal(display.type, "qr");
    assert.match(display.data, /^sgnl:\/\/linkdevice\?uuid=/);
    const png = Buffer.from(display.image_url.replace(/^data:image\/png;base64,/, ""), "base64");
    assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from("PNG")], "image_url is a PNG data URL");

    const loginId = String(start.body["login_id"]);
    const step = provision("POST", `/login/step/${loginId}/fi.mau.signal.login.qr/display_and_wait`);
    device = await scanLinkUrl(mock, phone, Promise.resolve(display.data));
    const done = await withTimeout(step, 60_000, "the display_and_wait step to answer");
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(done.body, {
      login_id: loginId,
      type: "complete",
      step_id: "fi.mau.signal.login.complete",
      instructions: `Successfully logged in as ${phone.device.number}`,
      complete: { user_login_id: phone.device.aci },
    });

    assert.deepEqual((await provision("GET", "/logins")).body, { login_ids: [phone.device.aci] });
    await setting!.alice.waitForEvent(
      setting!.managementRoom,
      fromUser(setting!.bridge.botUserId, new RegExp(`^Logged in as \\${phone.device.number}`)),
      "the login reported in the management room",
    );
  });
});

test("the login's state reaches the status endpoint, whoami, the management room and ping", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const connected = await receiver.waitForState(
      (body) => body["state_event"] === "CONNECTED" && body["remote_id"] === phone.device.aci,
      "CONNECTED",
    );
    const registration = parseYaml(await readFile(setting!.bridge.registrationFile, "utf8")) as {
      as_token: string;
    };
    assert.equal(connected.authorization, `Bearer ${registration.as_token}`);
    assert.equal(connected.body["user_id"], setting!.alice.userId);
    assert.equal(connected.body["remote_name"], phone.device.number);
    assert.equal(connected.body["source"], "bridge");
    assert.ok(
      Math.abs(Number(connected.body["timestamp"]) - Date.now() / 1000) < 120,
      "timestamp in seconds",
    );
    // CONNECTING may be passed over: a state still unsent when a newer one comes gives way to it.
    assert.deepEqual(
      stateNames().filter((name) => name !== "CONNECTING"),
      ["STARTING", "CONNECTED"],
    );

    const whoami = await provision("GET", "/whoami");
    const [login] = whoami.body["logins"] as Array<Record<string, unknown>>;
    assert.equal(login?.["id"], phone.device.aci);
    assert.equal(login?.["name"], phone.device.number);
    assert.equal((login?.["state"] as Record<string, unknown>)["state_event"], "CONNECTED");
    assert.equal(login?.["state_event"], "CONNECTED");

    await setting!.alice.waitForEvent(
      setting!.managementRoom,
      fromUser(setting!.bridge.botUserId, /^State update for \+\d+: CONNECTED$/),
      "the state notice (bridge_status_notices: all)",
    );
    await setting!.alice.sendText(setting!.managementRoom, "ping");
    await setting!.alice.waitForEvent(
      setting!.managementRoom,
      fromUser(setting!.bridge.botUserId, /^Logged in as .*Connection: CONNECTED\.$/),
      "ping naming the state",
    );
  });
});

test("contacts, resolve_identifier and create_dm find the phone's contact and open a chat", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    let contacts: Array<Record<string, unknown>> = [];
    await waitFor(
      async () => {
        contacts = (await provision("GET", "/contacts")).body["contacts"] as typeof contacts;
        return contacts.some((contact) => contact["id"] === friend.device.aci);
      },
      { timeoutMs: 30_000, what: () => `the friend among the contacts (got ${JSON.stringify(contacts)})` },
    );
    const listed = contacts.find((contact) => contact["id"] === friend.device.aci)!;
    assert.equal(listed["mxid"], ghostOf(friend));
    assert.equal(listed["dm_room_mxid"], undefined, "no chat yet");

    const byNumber = await provision(
      "GET",
      `/resolve_identifier/${encodeURIComponent(friend.device.number!)}`,
    );
    assert.equal(byNumber.status, 200, JSON.stringify(byNumber.body));
    assert.equal(byNumber.body["id"], friend.device.aci);
    assert.equal(byNumber.body["mxid"], ghostOf(friend));
    assert.equal(byNumber.body["name"], "Friend Contact");
    assert.deepEqual(byNumber.body["identifiers"], [`tel:${friend.device.number}`]);
    const nobody = await provision("GET", "/resolve_identifier/Nobody%20Such");
    assert.equal(nobody.status, 404);
    assert.equal(nobody.body["errcode"], "M_NOT_FOUND");

    const created = await provision("POST", `/create_dm/${friend.device.aci}`);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const roomId = String(created.body["dm_room_mxid"]);
    assert.equal(await setting!.alice.acceptNextInvite("the new direct chat"), roomId);
    const again = await provision("POST", `/create_dm/${friend.device.aci}`);
    assert.equal(again.status, 200);
    assert.equal(again.body["dm_room_mxid"], roomId);
  });
});

test("a second login is refused while the user has one", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const second = await provision("POST", "/login/start/qr");
    assert.equal(second.status, 400);
    assert.equal(second.body["errcode"], "FI.MAU.BRIDGE.TOO_MANY_LOGINS");
  });
});

test("unlinking on the phone is BAD_CREDENTIALS; logging out through the API is LOGGED_OUT", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    await mock.unlinkDevice(phone, device);
    const refused = await receiver.waitForState(
      (body) => body["state_event"] === "BAD_CREDENTIALS",
      "BAD_CREDENTIALS",
    );
    assert.equal(refused.body["remote_id"], phone.device.aci);
    const [login] = (await provision("GET", "/whoami")).body["logins"] as Array<Record<string, unknown>>;
    assert.equal(login?.["state_event"], "BAD_CREDENTIALS", "the login stays, refused, until logged out");

    assert.equal((await provision("POST", "/logout/not-a-login")).status, 404);
    assert.deepEqual(await provision("POST", `/logout/${phone.device.aci}`), { status: 200, body: {} });
    const loggedOut = await receiver.waitForState(
      (body) => body["state_event"] === "LOGGED_OUT",
      "LOGGED_OUT",
    );
    assert.equal(loggedOut.body["remote_id"], phone.device.aci);
    assert.deepEqual((await provision("GET", "/logins")).body, { login_ids: [] });
    assert.deepEqual(
      stateNames().filter((name) => name !== "CONNECTING" && name !== "TRANSIENT_DISCONNECT"),
      ["STARTING", "CONNECTED", "BAD_CREDENTIALS", "LOGGED_OUT"],
    );
  });
});

test("a login process can be cancelled, for a user without a management room too", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const bob = "@bob:localhost";
    const start = await provision("POST", "/login/start/qr", { user: bob });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    const loginId = String(start.body["login_id"]);
    const waiting = provision("POST", `/login/step/${loginId}/fi.mau.signal.login.qr/display_and_wait`, {
      user: bob,
    });
    assert.deepEqual(await provision("POST", `/login/cancel/${loginId}`, { user: bob }), {
      status: 200,
      body: {},
    });
    const answer = await withTimeout(waiting, 30_000, "the waiting step to end");
    assert.equal(answer.status, 400);
    assert.equal(answer.body["errcode"], "M_BAD_STATE");
    const gone = await provision("POST", `/login/step/${loginId}/fi.mau.signal.login.qr/display_and_wait`, {
      user: bob,
    });
    assert.equal(gone.status, 404);
    assert.deepEqual((await provision("GET", "/logins", { user: bob })).body, { login_ids: [] });
  });
});

test("the shared secret appears nowhere in the bridge's log", () => {
  assert.ok(!setting!.bridge.output().includes(secret));
});
