/**
 * Disappearing-message timers set from Matrix: Alice sets the timer room state in her direct
 * portal, or sends !signal disappearing-timer there or in a group portal; the contact (or the
 * group's members) get the timer on Signal, and the room shows the same notice and state as when
 * the timer is set on Signal. A user without a Signal login for the chat is put back.
 */
import assert from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { after, before, test } from "node:test";
import type { Group } from "@signalapp/mock-server";
import { withBridgeLog } from "../support/bridge-process.js";
import { fromUser, ghostOf } from "../support/bridge-with-signal.js";
import { groupOnServer } from "../support/group-on-server.js";
import { type LinkedDirectChat, startLinkedDirectChat } from "../support/linked-direct-chat.js";
import { type MatrixUser, startMatrixUser } from "../support/matrix-user.js";
import { waitFor, withTimeout } from "../support/wait.js";

const TIMER_STATE = "com.beeper.disappearing_timer";
const EXPIRATION_TIMER_UPDATE = 2;

let chat: LinkedDirectChat;

before(async () => {
  chat = await startLinkedDirectChat();
});

after(() => chat?.stop());

const alice = (): MatrixUser => chat.setting.alice;

function timerStateOf(roomId: string): Record<string, unknown> | undefined {
  return alice().client.getRoom(roomId)?.currentState.getStateEvents(TIMER_STATE, "")?.getContent();
}

async function waitForTimerState(
  roomId: string,
  expected: Record<string, unknown>,
  what: string,
): Promise<void> {
  await waitFor(() => isDeepStrictEqual(timerStateOf(roomId), expected), {
    timeoutMs: 30_000,
    what: () => `${what} (room state now: ${JSON.stringify(timerStateOf(roomId))})`,
  });
}

/** The contact's next data message that changes the timer. */
async function nextTimerUpdate(what: string) {
  for (;;) {
    const received = await withTimeout(chat.friend.waitForMessage(), 30_000, what);
    if ((received.dataMessage.flags ?? 0) & EXPIRATION_TIMER_UPDATE) return received.dataMessage;
  }
}

test("Alice sets the timer state of her direct portal: the contact gets a timer update, the room a notice", async () => {
  await withBridgeLog(chat.setting.bridge, async () => {
    await alice().client.sendStateEvent(
      chat.directRoom,
      TIMER_STATE as never,
      { type: "after_read", timer: 3_600_000 } as never,
      "",
    );
    const update = await nextTimerUpdate("the contact to get the timer update");
    assert.equal(update.expireTimer, 3600);
    assert.equal(update.expireTimerVersion, 1, "the first version the bridge knows of");
    const transcript = await withTimeout(
      chat.phone.waitForSyncMessage(
        (entry) => (entry.syncMessage.content?.sent?.message?.expireTimer ?? 0) === 3600,
      ),
      30_000,
      "the phone to get the transcript of the timer change",
    );
    assert.equal(transcript.syncMessage.content?.sent?.destinationServiceId, chat.friend.device.aci);
    await alice().waitForEvent(
      chat.directRoom,
      fromUser(ghostOf(chat.phone), /^Set disappearing messages to 1 hour$/, "m.notice"),
      "the notice of the change, as from Alice's phone",
    );
  });
});

test("the disappearing-timer command sets it too, and off turns it off", async () => {
  await withBridgeLog(chat.setting.bridge, async () => {
    await alice().sendText(chat.directRoom, "!signal disappearing-timer 5m");
    const update = await nextTimerUpdate("the contact to get the 5-minute timer");
    assert.equal(update.expireTimer, 300);
    assert.equal(update.expireTimerVersion, 2, "one version newer");
    await waitForTimerState(
      chat.directRoom,
      { type: "after_read", timer: 300_000 },
      "the new timer in the room state",
    );
    await alice().waitForEvent(
      chat.directRoom,
      fromUser(ghostOf(chat.phone), /^Set disappearing messages to 5 minutes$/, "m.notice"),
      "the notice of the 5-minute timer",
    );

    await alice().sendText(chat.directRoom, "!signal disappearing-timer off");
    const off = await nextTimerUpdate("the contact to get the timer turned off");
    assert.equal(off.expireTimer ?? 0, 0);
    await waitForTimerState(chat.directRoom, {}, "the room state without a timer");

    await alice().sendText(chat.directRoom, "!signal disappearing-timer soon");
    await alice().waitForEvent(
      chat.directRoom,
      fromUser(ghostOf(chat.friend), /^Usage: disappearing-timer/, "m.notice"),
      "the usage hint",
    );
  });
});

test("Carol, without a Signal login, sets the timer: the room state is put back, with a notice saying why", async () => {
  await withBridgeLog(chat.setting.bridge, async () => {
    const { synapse } = chat.setting;
    const carol = await startMatrixUser(synapse.url, await synapse.registerUser("carol"));
    try {
      await alice().client.invite(chat.directRoom, carol.userId);
      await carol.acceptNextInvite("Alice's direct portal");
      await carol.client.sendStateEvent(
        chat.directRoom,
        TIMER_STATE as never,
        { type: "after_read", timer: 60_000 } as never,
        "",
      );
      await alice().waitForEvent(
        chat.directRoom,
        fromUser(
          ghostOf(chat.friend),
          /^The disappearing-messages timer was not changed: Only a user whose Signal account/,
        ),
        "the notice that Carol's timer was refused",
      );
      await waitForTimerState(chat.directRoom, {}, "the room state put back to no timer");
    } finally {
      carol.stop();
    }
  });
});

let group: Group;
let groupRoom: string;

test("in a group portal, the command changes the group's timer on Signal, with the group's notice", async () => {
  await withBridgeLog(chat.setting.bridge, async () => {
    const other = await chat.mock.server.createPrimaryDevice({ profileName: "Other Member" });
    group = await chat.friend.createGroup({ title: "Timer club", members: [chat.friend, chat.phone, other] });
    const distributionId = await chat.friend.sendSenderKey(chat.device);
    await chat.friend.sendText(chat.device, "Welcome to the club", { sealed: true, group, distributionId });
    groupRoom = await alice().acceptNextInvite("the group portal");
    await alice().waitForEvent(
      groupRoom,
      fromUser(ghostOf(chat.friend), /^Welcome to the club$/),
      "the message",
    );

    await alice().sendText(groupRoom, "!signal disappearing-timer 1d");
    await waitFor(async () => (await groupOnServer(chat.mock, group)).timerSeconds === 86_400, {
      timeoutMs: 30_000,
      what: "the group's timer on the groups service to be one day",
    });
    await alice().waitForEvent(
      groupRoom,
      fromUser(ghostOf(chat.phone), /set disappearing messages to 1 day/, "m.notice"),
      "the group change notice from Alice's ghost",
    );
    await waitForTimerState(
      groupRoom,
      { type: "after_read", timer: 86_400_000 },
      "the group's timer in the room state",
    );
    const update = await withTimeout(
      chat.friend.waitForMessage(),
      30_000,
      "the friend to get the group update",
    );
    assert.ok(update.dataMessage.groupV2?.groupChange?.length, "the update carries the signed change");
    assert.equal(update.dataMessage.groupV2?.revision, (await groupOnServer(chat.mock, group)).revision);
  });
});
