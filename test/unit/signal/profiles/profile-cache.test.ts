import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { test } from "node:test";
import type { ChatRequester } from "../../../../src/signal/chat-api.js";
import { ProfileCache } from "../../../../src/signal/profiles/profile-cache.js";
import { deriveAccessKey } from "../../../../src/signal/profiles/profile-keys.js";
import type { RecipientRecord, SignalStorage, StorageWrite } from "../../../../src/signal/storage.js";
import { encryptProfileField } from "./profile-test-crypto.js";

const aci = "6a9b1a20-5c55-4e9b-9f34-1c0d9e3b2a10";

/** A chat service that serves one profile and counts requests. */
class FakeProfileServer {
  paths: string[] = [];
  name = "Ada\0Lovelace";
  constructor(public profileKey: Uint8Array) {}

  readonly chat: ChatRequester = {
    fetch: async (request) => {
      this.paths.push(request.path);
      const accessKey = deriveAccessKey(this.profileKey);
      const body = {
        name: encryptProfileField(this.profileKey, this.name, 53),
        identityKey: Buffer.from(randomBytes(33)).toString("base64"),
        unidentifiedAccess: createHmac("sha256", accessKey).update(Buffer.alloc(32)).digest("base64"),
        unrestrictedUnidentifiedAccess: false,
        capabilities: { deleteSync: true },
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

/** Just the recipient part of SignalStorage, in memory. */
function recipientStorage(recipients: RecipientRecord[]): SignalStorage & { writes: StorageWrite[] } {
  const byAci = new Map(recipients.map((r) => [r.aci, r]));
  const writes: StorageWrite[] = [];
  const storage = {
    writes,
    getRecipient: async (id: string) => byAci.get(id) ?? null,
    commit: async (batch: readonly StorageWrite[]) => {
      for (const write of batch) {
        writes.push(write);
        if (write.type === "recipient") byAci.set(write.recipient.aci, write.recipient);
      }
    },
  };
  return storage as unknown as SignalStorage & { writes: StorageWrite[] };
}

function recipient(profileKey: Uint8Array | null): RecipientRecord {
  return { aci, pni: null, number: "+15550001111", profileKey, profileName: null, contactName: "Ada" };
}

function setup(ttlMs = 1000) {
  const profileKey = randomBytes(32);
  const server = new FakeProfileServer(profileKey);
  const storage = recipientStorage([recipient(profileKey)]);
  const clock = { now: 0 };
  const cache = new ProfileCache({
    storage,
    connection: async () => server.chat,
    ttlMs,
    now: () => clock.now,
  });
  return { server, storage, clock, cache, profileKey };
}

test("a fetched profile is decrypted, and its display name is stored on the recipient", async () => {
  const { cache, storage } = setup();
  const profile = await cache.get(aci);
  assert.equal(profile?.givenName, "Ada");
  assert.equal(profile?.familyName, "Lovelace");
  assert.equal(profile?.sealedSender, "enabled");
  assert.deepEqual(profile?.capabilities, { deleteSync: true });
  assert.equal((await storage.getRecipient(aci))?.profileName, "Ada Lovelace");
});

test("the cache answers until the TTL runs out, then asks the server again", async () => {
  const { cache, server, clock } = setup(1000);
  await cache.get(aci);
  clock.now = 999;
  await cache.get(aci);
  assert.equal(server.paths.length, 1, "served from the cache within the TTL");
  server.name = "Ada\0King";
  clock.now = 1000;
  const refreshed = await cache.get(aci);
  assert.equal(server.paths.length, 2);
  assert.equal(refreshed?.familyName, "King", "the refreshed profile shows the new name");
});

test("a new profile key, a forced refresh or an invalidation fetch again", async () => {
  const { cache, server, storage } = setup();
  await cache.get(aci);
  await cache.get(aci, { refresh: true });
  assert.equal(server.paths.length, 2);
  cache.invalidate(aci);
  await cache.get(aci);
  assert.equal(server.paths.length, 3);
  const newKey = randomBytes(32);
  server.profileKey = newKey;
  await storage.commit([{ type: "recipient", recipient: recipient(newKey) }]);
  const profile = await cache.get(aci);
  assert.equal(server.paths.length, 4);
  assert.equal(profile?.givenName, "Ada");
  assert.notEqual(server.paths[3], server.paths[0], "the new key asks for another profile version");
});

test("concurrent requests for one profile share one fetch", async () => {
  const { cache, server } = setup();
  const profiles = await Promise.all([cache.get(aci), cache.get(aci), cache.get(aci)]);
  assert.equal(server.paths.length, 1);
  assert.ok(profiles.every((p) => p?.givenName === "Ada"));
});

test("without a known profile key there is no profile and no request", async () => {
  const server = new FakeProfileServer(randomBytes(32));
  const cache = new ProfileCache({
    storage: recipientStorage([recipient(null)]),
    connection: async () => server.chat,
  });
  assert.equal(await cache.get(aci), null);
  assert.equal(await cache.get("11111111-2222-4333-8444-555555555555"), null);
  assert.equal(server.paths.length, 0);
});

test("a caller may ask for a profile younger than the TTL, and learn when the cached one was fetched", async () => {
  const { cache, server, clock } = setup(1000);
  assert.equal(cache.fetchedAt(aci), undefined, "nothing fetched yet");
  clock.now = 10;
  await cache.get(aci);
  assert.equal(cache.fetchedAt(aci), 10);
  clock.now = 400;
  await cache.get(aci, { maxAgeMs: 500 });
  assert.equal(server.paths.length, 1, "390 ms old is young enough");
  clock.now = 510;
  await cache.get(aci, { maxAgeMs: 500 });
  assert.equal(server.paths.length, 2, "500 ms old is not");
  assert.equal(cache.fetchedAt(aci), 510);
});
