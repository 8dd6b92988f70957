/**
 * Typing indicators both ways: a contact typing on Signal shows their ghost typing in the portal,
 * and Alice typing in Matrix reaches the contact's device as a Signal typing message.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { PrimaryDevice } from "@signalapp/mock-server";
import { withBridgeLog } from "../support/bridge-process.js";
import { ghostOf } from "../support/bridge-with-signal.js";
import { type LinkedDirectChat, startLinkedDirectChat } from "../support/linked-direct-chat.js";
import { waitFor } from "../support/wait.js";

// signalservice.TypingMessage.Action
const STARTED = 0;
const STOPPED = 1;

let chat: LinkedDirectChat | undefined;

before(async () => {
  chat = await startLinkedDirectChat();
});

after(async () => {
  await chat?.stop();
});

type RawContent = Parameters<PrimaryDevice["sendRaw"]>[1];

async function friendTypes(action: number): Promise<void> {
  const { friend, device } = chat!;
  const timestamp = Date.now();
  const content = {
    typingMessage: { timestamp: BigInt(timestamp), action, groupId: null },
  } as unknown as RawContent["content"];
  await friend.sendRaw(
    device,
    { content, senderKeyDistributionMessage: null, pniSignatureMessage: null },
    { timestamp },
  );
}

test("a contact typing on Signal shows their ghost typing in the portal, and stopping clears it", async () => {
  const { setting, friend, directRoom } = chat!;
  await withBridgeLog(setting.bridge, async () => {
    const ghostTyping = () =>
      setting.alice.client.getRoom(directRoom)?.getMember(ghostOf(friend))?.typing === true;

    await friendTypes(STARTED);
    await waitFor(ghostTyping, { timeoutMs: 30_000, what: "the contact's ghost to be shown typing" });
    await friendTypes(STOPPED);
    await waitFor(() => !ghostTyping(), {
      timeoutMs: 30_000,
      what: "the contact's ghost to stop being shown typing",
    });
  });
});

/** What the contact's device decrypted, as the mock's device does not queue typing messages. */
interface DecryptedContent {
  content: { content?: { typingMessage?: { action: number | null } } };
}

test("Alice typing in Matrix reaches the contact's device as a typing message, and so does stopping", async () => {
  const { setting, friend, directRoom } = chat!;
  await withBridgeLog(setting.bridge, async () => {
    // The mock's device decrypts typing messages and then drops them ("unsupported message"):
    // the test watches its real decryption to see what arrived.
    const seen: number[] = [];
    const internals = friend as unknown as { decrypt(...args: unknown[]): Promise<DecryptedContent> };
    const decrypt = internals.decrypt.bind(friend);
    internals.decrypt = async (...args) => {
      const result = await decrypt(...args);
      const typing = result.content.content?.typingMessage;
      if (typing) seen.push(typing.action ?? STARTED);
      return result;
    };

    await setting.alice.client.sendTyping(directRoom, true, 30_000);
    await waitFor(() => seen.includes(STARTED), {
      timeoutMs: 30_000,
      what: () => `the contact's device to get a "started typing" message (seen: ${JSON.stringify(seen)})`,
    });
    await setting.alice.client.sendTyping(directRoom, false, 0);
    await waitFor(() => seen.includes(STOPPED), {
      timeoutMs: 30_000,
      what: () => `the contact's device to get a "stopped typing" message (seen: ${JSON.stringify(seen)})`,
    });
    assert.equal(seen.indexOf(STARTED) < seen.indexOf(STOPPED), true, "started comes before stopped");
  });
});
