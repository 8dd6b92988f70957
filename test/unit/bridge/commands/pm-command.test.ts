// `pm +<number>` for a number not among the contacts asks Signal's contact discovery. The mock
// Signal server has none, so each of its answers comes from a hand-written fake at the seam.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CommandDeps } from "../../../../src/bridge/commands/command-deps.js";
import { pmCommand } from "../../../../src/bridge/commands/pm-command.js";
import type { Login } from "../../../../src/bridge/logins.js";
import type { OpenedDirectChat } from "../../../../src/bridge/open-direct-chat.js";
import {
  type PhoneNumberDiscovery,
  toE164,
  waitingTime,
} from "../../../../src/bridge/phone-number-lookup.js";
import {
  type DiscoveredAccount,
  DiscoveryRateLimitedError,
  type RecipientRecord,
} from "../../../../src/signal/index.js";

const ALICE = "@alice:example.org";
const OWN_ACI = "11111111-1111-4111-8111-111111111111";
const FRIEND_ACI = "22222222-2222-4222-8222-222222222222";
const STRANGER_ACI = "33333333-3333-4333-8333-333333333333";
const STRANGER_PNI = "PNI:44444444-4444-4444-8444-444444444444";

/** Answers as the fake is told to and remembers what it was asked. */
class FakeDiscovery implements PhoneNumberDiscovery {
  readonly asked: string[] = [];
  constructor(private readonly answer: () => Promise<DiscoveredAccount | null>) {}
  async discover(_login: Login, e164: string): Promise<DiscoveredAccount | null> {
    this.asked.push(e164);
    return this.answer();
  }
}

const friend = {
  aci: FRIEND_ACI,
  number: "+15550001111",
  profileName: "Friend Contact",
  contactName: null,
} as unknown as RecipientRecord;

/** Runs `pm <query>` for Alice, who has one contact; returns the replies and the chats opened. */
async function pm(query: string, discovery: PhoneNumberDiscovery) {
  const login = { userId: ALICE, client: { account: { aci: OWN_ACI } } } as unknown as Login;
  const deps = {
    store: { signalStorage: () => ({ listRecipients: async () => [friend] }) },
    logins: { loginOf: (userId: string) => (userId === ALICE ? login : undefined) },
    discovery,
  } as unknown as CommandDeps;
  const opened: string[] = [];
  const openChat = async (_login: Login, aci: string): Promise<OpenedDirectChat> => {
    opened.push(aci);
    const portal = { roomId: "!dm:example.org" } as OpenedDirectChat["portal"];
    return { portal, name: aci === STRANGER_ACI ? "Stranger" : "Friend Contact", existed: false };
  };
  const replies: string[] = [];
  await pmCommand(deps, openChat).run({
    roomId: "!management:example.org",
    eventId: "$pm",
    sender: ALICE,
    senderLevel: "user",
    args: query.split(" "),
    reply: async (text) => void replies.push(text),
  });
  return { replies, opened };
}

const unreachable = () => Promise.reject(new Error("the contact discovery must not be asked"));

test("a number found on Signal opens the chat, as for a contact", async () => {
  const discovery = new FakeDiscovery(async () => ({ aci: STRANGER_ACI, pni: STRANGER_PNI }));
  const { replies, opened } = await pm("+1 (555) 123-4567", discovery);
  assert.deepEqual(discovery.asked, ["+15551234567"], "asked in E.164 form");
  assert.deepEqual(opened, [STRANGER_ACI]);
  assert.match(replies.join("\n"), /^Opened a chat with Stranger: accept the invite/);
});

test("a number nobody on Signal has gets a clear answer and opens nothing", async () => {
  const { replies, opened } = await pm("+15551234567", new FakeDiscovery(async () => null));
  assert.deepEqual(opened, []);
  assert.match(replies.join("\n"), /^Nobody on Signal can be found by \+15551234567/);
});

test("a rate-limited lookup says when to try again", async () => {
  const discovery = new FakeDiscovery(() => Promise.reject(new DiscoveryRateLimitedError(150)));
  const { replies, opened } = await pm("+15551234567", discovery);
  assert.deepEqual(opened, []);
  assert.match(replies.join("\n"), /limit is reached for now\. Try again in 3 minutes\.$/);
});

test("a lookup that cannot reach Signal says so, with the cause", async () => {
  const discovery = new FakeDiscovery(() => Promise.reject(new Error("connection refused")));
  const { replies, opened } = await pm("+15551234567", discovery);
  assert.deepEqual(opened, []);
  assert.match(
    replies.join("\n"),
    /^Could not look \+15551234567 up on Signal \(connection refused\)\. Try again later/,
  );
});

test("a number Signal knows only by its phone-number identity cannot start a chat", async () => {
  const discovery = new FakeDiscovery(async () => ({ aci: null, pni: STRANGER_PNI }));
  const { replies, opened } = await pm("+15551234567", discovery);
  assert.deepEqual(opened, []);
  assert.match(replies.join("\n"), /^\+15551234567 is on Signal, but .* Ask them to message you first/);
});

test("a contact's number is found among the contacts without asking Signal", async () => {
  const { replies, opened } = await pm("+1 555 000 1111", new FakeDiscovery(unreachable));
  assert.deepEqual(opened, [FRIEND_ACI]);
  assert.match(replies.join("\n"), /^Opened a chat with Friend Contact/);
});

test("an unknown number without country code is not guessed at", async () => {
  const { replies, opened } = await pm("555 123 4567", new FakeDiscovery(unreachable));
  assert.deepEqual(opened, []);
  assert.match(replies.join("\n"), /write it with its country code, like \+15551234567/);
});

test("numbers with + or 00 become E.164; others are refused", () => {
  assert.equal(toE164("+49 (30) 1234-5678"), "+493012345678");
  assert.equal(toE164("0049 30 12345678"), "+493012345678");
  assert.equal(toE164("030 12345678"), undefined, "no country code");
  assert.equal(toE164("+0 123 4567"), undefined, "no country code starts with 0");
  assert.equal(toE164("+1234567890123456"), undefined, "longer than 15 digits");
  assert.equal(toE164("+1 555 CALL NOW"), undefined);
});

test("waiting times are rounded up to a unit a person reads", () => {
  assert.equal(waitingTime(0.2), "1 second");
  assert.equal(waitingTime(45), "45 seconds");
  assert.equal(waitingTime(119.5), "2 minutes");
  assert.equal(waitingTime(121), "3 minutes");
  assert.equal(waitingTime(3600), "60 minutes");
  assert.equal(waitingTime(7200), "2 hours");
  assert.equal(waitingTime(86_400), "24 hours");
});
