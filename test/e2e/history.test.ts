/**
 * History at link time: the phone transfers its recent history when the bridge is linked, and
 * the recent chats become portals filled with their last messages (dated when they were sent),
 * before any live message of theirs; across crashes and restarts without duplicates; a damaged
 * archive is reported and the bridge works on without it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import type { PrimaryDevice } from "@signalapp/mock-server";
import { withBridgeLog } from "../support/bridge-process.js";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  loginThroughBot,
  startBridgeUser,
  startBridgeWithSignal,
} from "../support/bridge-with-signal.js";
import { historyOf, offerHistory, sendHistory, uploadedFile } from "../support/history-transfer.js";
import { introduce } from "../support/linked-signal-client.js";
import type { MatrixUser, RawRoomEvent } from "../support/matrix-user.js";
import { type MockSignalServer, startMockSignalServer } from "../support/mock-signal-server.js";
import { waitFor } from "../support/wait.js";

const MINUTE = 60_000;

let mock: MockSignalServer;
let setting: BridgeWithSignal | undefined;

before(async () => {
  mock = await startMockSignalServer();
  setting = await startBridgeWithSignal(mock);
});

after(async () => {
  await setting?.stop();
  await mock?.close();
});

/** The messages and reactions of a room that Signal users' ghosts sent, oldest first. */
async function bridgedEvents(user: MatrixUser, roomId: string): Promise<RawRoomEvent[]> {
  return (await user.roomEvents(roomId)).filter(
    (event) =>
      event.sender.startsWith("@signal_") &&
      (event.type === "m.room.message" || event.type === "m.reaction") &&
      !event.redacted_because &&
      Object.keys(event.content).length > 0,
  );
}

/** The bodies of the messages, replies without the quoted text of their fallback. */
const bodies = (events: RawRoomEvent[]) =>
  events
    .filter((event) => event.type === "m.room.message")
    .map((event) => String(event.content["body"]).replace(/^(> .*\n)+\n/, ""));

/** The import was still running (else the test would not show what it claims). */
async function assertNotFinished(user: MatrixUser, managementRoom: string, when: string): Promise<void> {
  const told = (await user.roomEvents(managementRoom)).map((event) => String(event.content["body"]));
  assert.ok(
    !told.some((body) => body.startsWith("Your history is in")),
    `the import was not done yet ${when}`,
  );
}

/** Accepts invites until one is to a room named `name`; returns its id. */
async function acceptInviteTo(user: MatrixUser, name: string, seen: Map<string, string>): Promise<string> {
  for (;;) {
    const known = seen.get(name);
    if (known) return known;
    const roomId = await user.acceptNextInvite(`the portal "${name}"`, 60_000);
    await waitFor(() => user.client.getRoom(roomId)?.name !== undefined, {
      timeoutMs: 10_000,
      what: `the name of ${roomId}`,
    });
    seen.set(user.client.getRoom(roomId)?.name ?? roomId, roomId);
  }
}

test("after login, the recent chats come with their history, in order and dated, before what arrived meanwhile", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const { alice, bridge, managementRoom } = setting!;
    const friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
    const other = await mock.server.createPrimaryDevice({ profileName: "Other Member" });
    const phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
    const club = await friend.createGroup({ title: "Climbing club", members: [friend, phone, other] });
    offerHistory(phone);

    const device = await loginThroughBot(setting!, mock, phone);
    await introduce(friend, device);
    // While the phone prepares the archive, the friend writes twice: the first message makes it
    // into the archive too (the phone had it when exporting), the second does not.
    const start = Date.now() - 3 * 24 * 60 * MINUTE;
    const inBoth = Date.now() - 2_000;
    await friend.sendText(device, "sent while linking", { timestamp: inBoth });
    await friend.sendText(device, "only live", { timestamp: Date.now() - 1_000 });

    const photo = randomBytes(2_000);
    const history = historyOf(phone);
    const friendId = history.contact({
      aci: friend.device.aci,
      profileKey: friend.profileKey.serialize(),
      givenName: "Friend",
      familyName: "Contact",
    });
    const otherId = history.contact({ aci: other.device.aci, givenName: "Other", familyName: "Member" });
    const groupId = history.group(club.masterKey, "Climbing club", [
      phone.device.aci,
      friend.device.aci,
      other.device.aci,
    ]);
    const dm = history.chat(friendId);
    const group = history.chat(groupId);
    history.message(dm, {
      authorId: friendId,
      sentAt: start,
      text: "hello from the past",
      reactions: [{ authorId: history.selfId, emoji: "👍", sentAt: start + 2 * MINUTE }],
    });
    history.message(group, { authorId: otherId, sentAt: start + MINUTE, text: "who is coming on Sunday?" });
    history.message(dm, {
      authorId: history.selfId,
      sentAt: start + 3 * MINUTE,
      text: "a reply to that",
      quote: { authorId: friendId, sentAt: start, text: "hello from the past" },
    });
    history.message(dm, {
      authorId: friendId,
      sentAt: start + 4 * MINUTE,
      text: "frist version",
      edits: [{ text: "first version, fixed", sentAt: start + 5 * MINUTE }],
    });
    history.message(dm, { authorId: friendId, sentAt: start + 6 * MINUTE, deleted: true });
    history.message(group, { authorId: friendId, sentAt: start + 7 * MINUTE, text: "me!" });
    history.message(dm, {
      authorId: friendId,
      sentAt: start + 8 * MINUTE,
      text: "the view",
      files: [await uploadedFile(mock, photo, "image/png", "view.png")],
    });
    history.message(dm, { authorId: friendId, sentAt: inBoth, text: "sent while linking" });
    await sendHistory(mock, phone, device, history);

    await alice.waitForEvent(
      managementRoom,
      fromUser(bridge.botUserId, /^Your history is in: 2 chats with 7 messages\.$/),
      "the summary of the history import",
      60_000,
    );
    const rooms = new Map<string, string>();
    const dmRoom = await acceptInviteTo(alice, "Friend Contact", rooms);
    const groupRoom = await acceptInviteTo(alice, "Climbing club", rooms);
    await alice.waitForEvent(
      dmRoom,
      fromUser(ghostOf(friend), /^only live$/),
      "the live message after the history",
    );

    const dmEvents = await bridgedEvents(alice, dmRoom);
    assert.deepEqual(bodies(dmEvents), [
      "hello from the past",
      "a reply to that",
      "first version, fixed",
      "view.png",
      "the view",
      "sent while linking",
      "only live",
    ]);
    const [hello, reply, edited, view, caption, whileLinking] = dmEvents.filter(
      (event) => event.type === "m.room.message",
    );
    assert.deepEqual(
      [hello, reply, edited, view, caption, whileLinking].map((event) => [
        event!.sender,
        event!.origin_server_ts,
      ]),
      [
        [ghostOf(friend), start],
        [ghostOf(phone), start + 3 * MINUTE],
        [ghostOf(friend), start + 4 * MINUTE],
        [ghostOf(friend), start + 8 * MINUTE],
        [ghostOf(friend), start + 8 * MINUTE],
        [ghostOf(friend), inBoth],
      ],
      "each message is dated when it was sent (an edited one when it was first sent), by its author",
    );
    const reaction = dmEvents.find((event) => event.type === "m.reaction");
    assert.equal(reaction?.sender, ghostOf(phone));
    assert.deepEqual(reaction?.content["m.relates_to"], {
      rel_type: "m.annotation",
      event_id: hello!.event_id,
      key: "👍",
    });
    assert.equal(reaction?.origin_server_ts, start + 2 * MINUTE);
    assert.deepEqual(
      (reply!.content["m.relates_to"] as { "m.in_reply_to"?: unknown } | undefined)?.["m.in_reply_to"],
      { event_id: hello!.event_id },
    );
    assert.equal(view!.content["msgtype"], "m.image");
    assert.deepEqual(await alice.download(String(view!.content["url"])), photo);

    const groupEvents = await bridgedEvents(alice, groupRoom);
    assert.deepEqual(bodies(groupEvents), ["who is coming on Sunday?", "me!"]);
    assert.deepEqual(
      groupEvents.map((event) => [event.sender, event.origin_server_ts]),
      [
        [ghostOf(other), start + MINUTE],
        [ghostOf(friend), start + 7 * MINUTE],
      ],
    );
    assert.ok(
      (await alice.roomEvents(managementRoom)).some((event) =>
        /^Importing your history: 0 of 2 chats$/.test(String(event.content["body"])),
      ),
      "the user was told the import started",
    );
  });
});

test("an import interrupted by kill -9 and by a restart finishes without duplicates", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const { synapse, bridge } = setting!;
    const { user: bob, managementRoom } = await startBridgeUser(synapse, bridge, "bob");
    try {
      const contacts: PrimaryDevice[] = [];
      for (const name of ["First", "Second", "Third"]) {
        contacts.push(await mock.server.createPrimaryDevice({ profileName: `${name} Pal` }));
      }
      const phone = await mock.server.createPrimaryDevice({ profileName: "Bob Phone", contacts });
      offerHistory(phone);
      const device = await loginThroughBot(setting!, mock, phone, bob, managementRoom);
      const start = Date.now() - 24 * 60 * MINUTE;
      const history = historyOf(phone);
      contacts.forEach((contact, chatIndex) => {
        const contactId = history.contact({
          aci: contact.device.aci,
          profileKey: contact.profileKey.serialize(),
          givenName: ["First", "Second", "Third"][chatIndex]!,
          familyName: "Pal",
        });
        const chat = history.chat(contactId);
        for (let index = 0; index < 50; index++) {
          history.message(chat, {
            authorId: index % 3 === 0 ? history.selfId : contactId,
            // The last contact's chat is the newest, so it is filled first.
            sentAt: start + (chatIndex * 100 + index) * MINUTE,
            text: `${chatIndex}:${String(index).padStart(2, "0")}`,
          });
        }
      });
      await sendHistory(mock, phone, device, history);

      const rooms = new Map<string, string>();
      const third = await acceptInviteTo(bob, "Third Pal", rooms);
      await waitFor(async () => bodies(await bridgedEvents(bob, third)).length >= 5, {
        timeoutMs: 60_000,
        what: "the history to start arriving",
      });
      await bridge.stop("SIGKILL");
      await assertNotFinished(bob, managementRoom, "at the crash");
      await bridge.start();
      const second = await acceptInviteTo(bob, "Second Pal", rooms);
      await waitFor(async () => bodies(await bridgedEvents(bob, second)).length >= 5, {
        timeoutMs: 60_000,
        what: "the history to go on after the crash",
      });
      assert.equal(await bridge.stop("SIGTERM"), 0, "a clean stop exits 0");
      await assertNotFinished(bob, managementRoom, "at the restart");
      await bridge.start();

      await bob.waitForEvent(
        managementRoom,
        fromUser(bridge.botUserId, /^Your history is in: 3 chats with 150 messages\.$/),
        "the summary of the interrupted import",
        120_000,
      );
      const first = await acceptInviteTo(bob, "First Pal", rooms);
      for (const [chatIndex, roomId] of [first, second, third].entries()) {
        const expected = Array.from(
          { length: 50 },
          (_, index) => `${chatIndex}:${String(index).padStart(2, "0")}`,
        );
        assert.deepEqual(
          bodies(await bridgedEvents(bob, roomId)),
          expected,
          `chat ${chatIndex}: each message once, in order`,
        );
      }
    } finally {
      bob.stop();
    }
  });
});

test("a damaged archive is reported and the bridge works on without history", async () => {
  await withBridgeLog(setting!.bridge, async () => {
    const { synapse, bridge } = setting!;
    const { user: carol, managementRoom } = await startBridgeUser(synapse, bridge, "carol");
    try {
      const friend = await mock.server.createPrimaryDevice({ profileName: "Carol Friend" });
      const phone = await mock.server.createPrimaryDevice({ profileName: "Carol Phone", contacts: [friend] });
      offerHistory(phone);
      const device = await loginThroughBot(setting!, mock, phone, carol, managementRoom);
      const history = historyOf(phone);
      const friendId = history.contact({ aci: friend.device.aci, givenName: "Carol", familyName: "Friend" });
      history.message(history.chat(friendId), {
        authorId: friendId,
        sentAt: Date.now() - MINUTE,
        text: "lost",
      });
      await sendHistory(mock, phone, device, history, (archive) => {
        const damaged = new Uint8Array(archive);
        const middle = damaged.length >> 1;
        damaged[middle] = damaged[middle]! ^ 0xff;
        return damaged;
      });
      await carol.waitForEvent(
        managementRoom,
        fromUser(
          bridge.botUserId,
          /^The message history from your phone could not be read: .*integrity check failed.*The bridge works on without it\.$/,
        ),
        "the notice about the damaged archive",
        60_000,
      );

      await introduce(friend, device);
      await friend.sendText(device, "still working?");
      const roomId = await carol.acceptNextInvite("the portal of the live message", 60_000);
      await carol.waitForEvent(roomId, fromUser(ghostOf(friend), /^still working\?$/), "the live message");
      assert.deepEqual(bodies(await bridgedEvents(carol, roomId)), ["still working?"]);
    } finally {
      carol.stop();
    }
  });
});
