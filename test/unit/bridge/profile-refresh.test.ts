// When a contact's profile is fetched again: decided by a fake clock, run in the background (the
// message being bridged never waits), one fetch per contact at a time, the ghost shown what it brings.
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { test } from "node:test";
import { ContactNameDirectory } from "../../../src/bridge/contact-names.js";
import type { ContactNames } from "../../../src/bridge/ghosts.js";
import type { Login } from "../../../src/bridge/logins.js";
import { ProfileRefresher, profileRefreshDue } from "../../../src/bridge/profile-refresh.js";
import type { ChatRequester } from "../../../src/signal/chat-api.js";
import { PRODUCTION_ENVIRONMENT } from "../../../src/signal/production-environment.js";
import { deriveAccessKey } from "../../../src/signal/profiles/profile-keys.js";
import type { RecipientRecord, SignalStorage, StorageWrite } from "../../../src/signal/storage.js";
import type { Store } from "../../../src/store/index.js";
import { encryptProfileField } from "../signal/profiles/profile-test-crypto.js";
import { FakeClock, recordingLogger, settle } from "./fake-clock.js";

const MINUTE = 60_000;
const aci = "6a9b1a20-5c55-4e9b-9f34-1c0d9e3b2a10";

test("a profile is due once the interval has passed since its fetch; one never fetched is not", () => {
  assert.equal(profileRefreshDue(undefined, 1_000_000, 10 * MINUTE), false);
  assert.equal(profileRefreshDue(0, 10 * MINUTE - 1, 10 * MINUTE), false);
  assert.equal(profileRefreshDue(0, 10 * MINUTE, 10 * MINUTE), true);
  assert.equal(profileRefreshDue(5, 5, 0), true, "an interval of 0 refreshes on every occasion");
});

test("a refresh starts only when due, runs in the background, one at a time per contact", async () => {
  const clock = new FakeClock();
  const logger = recordingLogger();
  const refresher = new ProfileRefresher({ intervalMs: 10 * MINUTE, now: () => clock.now(), logger });
  const fetchedAt = clock.now();
  const running: Array<() => void> = [];
  let started = 0;
  const refresh = () => {
    started++;
    return new Promise<void>((resolve) => running.push(resolve));
  };

  await clock.advance(9 * MINUTE);
  assert.equal(refresher.refreshIfDue("alice bob", fetchedAt, refresh), false, "fetched 9 minutes ago");
  await clock.advance(MINUTE);
  assert.equal(refresher.refreshIfDue("alice bob", fetchedAt, refresh), true, "fetched 10 minutes ago");
  assert.equal(started, 1, "started without anyone waiting for it to end");
  assert.equal(refresher.refreshIfDue("alice bob", fetchedAt, refresh), false, "one is still running");
  assert.equal(refresher.refreshIfDue("alice carol", fetchedAt, refresh), true, "another contact's may run");
  for (const finish of running) finish();
  await settle();
  assert.equal(refresher.refreshIfDue("alice bob", fetchedAt, refresh), true, "after it ended, again");
  assert.equal(started, 3);

  const failing = new ProfileRefresher({ intervalMs: 0, now: () => clock.now(), logger });
  failing.refreshIfDue("alice dave", 0, () => Promise.reject(new Error("profile server away")));
  await settle();
  assert.match(logger.lines.join("\n"), /profile refresh of alice dave failed: profile server away/);
  assert.equal(failing.refreshIfDue("alice dave", 0, refresh), true, "a failed one does not block the next");
});

/** A profile server for one contact whose answers can be held back, counting requests. */
class HeldProfileServer {
  requests = 0;
  name = "Dana";
  private held: Promise<void> | undefined;
  private release: () => void = () => undefined;

  constructor(private readonly profileKey: Uint8Array) {}

  hold(): void {
    this.held = new Promise((resolve) => (this.release = resolve));
  }

  answer(): void {
    this.held = undefined;
    this.release();
  }

  readonly chat: ChatRequester = {
    fetch: async () => {
      this.requests++;
      const name = this.name;
      await this.held;
      const body = {
        name: encryptProfileField(this.profileKey, name, 53),
        identityKey: Buffer.from(randomBytes(33)).toString("base64"),
        unidentifiedAccess: createHmac("sha256", deriveAccessKey(this.profileKey))
          .update(Buffer.alloc(32))
          .digest("base64"),
        unrestrictedUnidentifiedAccess: false,
        capabilities: {},
      };
      return {
        status: 200,
        message: "OK",
        headers: [],
        body: new TextEncoder().encode(JSON.stringify(body)),
      };
    },
  };
}

function directoryWith(intervalMinutes: number) {
  const clock = new FakeClock();
  const profileKey = randomBytes(32);
  const server = new HeldProfileServer(profileKey);
  const recipients = new Map<string, RecipientRecord>([
    [aci, { aci, pni: null, number: "+15550001111", profileKey, profileName: null, contactName: "Dana C." }],
  ]);
  const storage = {
    getRecipient: async (id: string) => recipients.get(id) ?? null,
    commit: async (writes: readonly StorageWrite[]) => {
      for (const write of writes)
        if (write.type === "recipient") recipients.set(write.recipient.aci, write.recipient);
    },
  } as unknown as SignalStorage;
  const store = { signalStorage: async () => storage } as unknown as Store;
  const login = {
    userId: "@alice:example.org",
    client: { chat: server.chat, environment: PRODUCTION_ENVIRONMENT, storage },
  } as unknown as Login;
  const shown: ContactNames[] = [];
  const names = new ContactNameDirectory(store, recordingLogger(), {
    profileRefreshMs: intervalMinutes * MINUTE,
    onRefreshed: async (_login, _aci, contactNames) => void shown.push(contactNames),
    now: () => clock.now(),
  });
  return { clock, server, login, names, shown };
}

test("an active contact's old profile is fetched again while their message goes on with the names known", async () => {
  const { clock, server, login, names, shown } = directoryWith(10);
  const first = await names.namesOf(login, aci);
  assert.equal(first.profileName, "Dana");
  assert.equal(first.fetchedAt, clock.now());
  assert.equal(server.requests, 1);

  server.name = "Dana Renamed";
  await clock.advance(9 * MINUTE);
  names.refreshIfDue(login, aci);
  await settle();
  assert.equal(server.requests, 1, "a profile 9 minutes old is not fetched again");

  await clock.advance(MINUTE);
  server.hold();
  names.refreshIfDue(login, aci);
  await settle();
  assert.equal(server.requests, 2, "10 minutes old: fetched again");
  const duringRefresh = await names.namesOf(login, aci);
  assert.equal(duringRefresh.profileName, "Dana", "the message does not wait for the refresh");
  names.refreshIfDue(login, aci);
  await settle();
  assert.equal(server.requests, 2, "no second fetch while one is under way");
  assert.equal(shown.length, 0, "nothing shown before the answer");

  server.answer();
  await settle();
  await settle();
  assert.equal(shown.length, 1, "the ghost is shown what the refresh brought");
  assert.equal(shown[0]?.profileName, "Dana Renamed");
  assert.ok(
    (shown[0]?.fetchedAt ?? 0) > (duringRefresh.fetchedAt ?? 0),
    "newer than what the message carried, so the ghost keeps it (Ghosts.ensure)",
  );
  assert.equal((await names.namesOf(login, aci)).profileName, "Dana Renamed");
});

test("with an interval of 0 every message fetches the profile again", async () => {
  const { server, login, names, shown } = directoryWith(0);
  await names.namesOf(login, aci);
  server.name = "Dana Renamed";
  names.refreshIfDue(login, aci);
  await settle();
  await settle();
  assert.equal(server.requests, 2);
  assert.equal(shown[0]?.profileName, "Dana Renamed");
});

test("syncs ask for current names: a profile older than the interval is fetched before answering", async () => {
  const { clock, server, login, names } = directoryWith(10);
  await names.namesOf(login, aci);
  server.name = "Dana Renamed";
  await clock.advance(10 * MINUTE);
  assert.equal((await names.namesOf(login, aci)).profileName, "Dana", "the hour-long cache answers");
  assert.equal((await names.namesOf(login, aci, { current: true })).profileName, "Dana Renamed");
  assert.equal(server.requests, 2);
});
