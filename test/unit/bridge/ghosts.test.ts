import assert from "node:assert/strict";
import { test } from "node:test";
import type { Bridge } from "matrix-appservice-bridge";
import { type AvatarSource, Ghosts } from "../../../src/bridge/ghosts.js";
import { validateConfig } from "../../../src/config/index.js";
import { createLogger } from "../../../src/logger.js";
import { openTempStore } from "../store/temp-store.js";

const aci = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

/** A homeserver as one ghost sees it: what it uploaded and what its profile shows. */
function fakeHomeserver() {
  const seen = {
    uploads: [] as Array<{ bytes: Buffer; type?: string }>,
    avatarUrl: "",
    displayName: "",
    registrations: 0,
  };
  const intent = {
    userId: `@signal_${aci}:localhost`,
    ensureRegistered: async () => {
      seen.registrations++;
      await new Promise((resolve) => setTimeout(resolve, 5));
    },
    setDisplayName: async (name: string) => void (seen.displayName = name),
    uploadContent: async (bytes: Buffer, opts?: { type?: string }) => {
      seen.uploads.push({ bytes, type: opts?.type });
      return `mxc://localhost/avatar${seen.uploads.length}`;
    },
    setAvatarUrl: async (url: string) => void (seen.avatarUrl = url),
  };
  return { seen, bridge: { getIntent: () => intent } as unknown as Bridge };
}

async function ghostsWith(t: Parameters<typeof openTempStore>[0]) {
  const { store } = await openTempStore(t);
  const homeserver = fakeHomeserver();
  const config = validateConfig({
    homeserver: { url: "http://localhost:8008", domain: "localhost" },
    permissions: { localhost: "user" },
  });
  const ghosts = new Ghosts(homeserver.bridge, store.bridge, config, createLogger("error"));
  return { ghosts, store, seen: homeserver.seen };
}

function avatar(
  key: string,
  download: () => Promise<Uint8Array> = async () => jpeg,
): AvatarSource & {
  downloads: () => number;
} {
  let count = 0;
  return {
    key,
    download: () => {
      count++;
      return download();
    },
    downloads: () => count,
  };
}

test("a contact's profile picture becomes the ghost's avatar, fetched again only when it changes", async (t) => {
  const { ghosts, store, seen } = await ghostsWith(t);
  const first = avatar("profiles/first");
  await ghosts.ensure(aci, { profileName: "Dana", avatar: first });
  assert.equal(seen.avatarUrl, "mxc://localhost/avatar1");
  assert.equal(seen.uploads[0]?.type, "image/jpeg");
  assert.equal((await store.bridge.ghost(aci))?.avatarUrl, "mxc://localhost/avatar1");

  await ghosts.ensure(aci, { profileName: "Dana", avatar: first });
  assert.equal(first.downloads(), 1, "an unchanged picture is not downloaded again");

  await ghosts.ensure(aci, { profileName: "Dana", avatar: avatar("profiles/second") });
  assert.equal(seen.avatarUrl, "mxc://localhost/avatar2");

  // A profile that could not be read says nothing about the picture: it stays.
  await ghosts.ensure(aci, { profileName: "Dana" });
  assert.equal(seen.avatarUrl, "mxc://localhost/avatar2");

  await ghosts.ensure(aci, { profileName: "Dana", avatar: null });
  assert.equal(seen.avatarUrl, "", "a removed picture is removed from the ghost");
  assert.equal((await store.bridge.ghost(aci))?.avatarUrl, undefined);
});

test("a picture that cannot be fetched leaves the ghost usable and is not retried for every message", async (t) => {
  const { ghosts, seen } = await ghostsWith(t);
  const broken = avatar("profiles/broken", () => Promise.reject(new Error("CDN unreachable")));
  await ghosts.ensure(aci, { profileName: "Eve", avatar: broken });
  await ghosts.ensure(aci, { profileName: "Eve", avatar: broken });
  assert.equal(seen.displayName, "Eve (Signal)");
  assert.equal(seen.avatarUrl, "");
  assert.equal(broken.downloads(), 1);
});

test("names from an older profile fetch do not undo those of a newer one", async (t) => {
  const { ghosts, seen } = await ghostsWith(t);
  await ghosts.ensure(aci, { profileName: "Dana", avatar: avatar("profiles/old"), fetchedAt: 1000 });
  // A background refresh brought the new name while a message that read the old one was bridged.
  await ghosts.ensure(aci, { profileName: "Dana Renamed", avatar: avatar("profiles/new"), fetchedAt: 2000 });
  await ghosts.ensure(aci, { profileName: "Dana", avatar: avatar("profiles/old"), fetchedAt: 1000 });
  assert.equal(seen.displayName, "Dana Renamed (Signal)");
  assert.equal(seen.avatarUrl, "mxc://localhost/avatar2");

  // Names that come from no profile (contact name, number) are shown as before.
  await ghosts.ensure(aci, { profileName: null, contactName: "Dana C." });
  assert.equal(seen.displayName, "Dana C. (Signal)");
});

test("updates of one ghost are shown in the order they were asked for", async (t) => {
  const { ghosts, seen } = await ghostsWith(t);
  const slow = avatar("profiles/slow", () => new Promise((resolve) => setTimeout(() => resolve(jpeg), 20)));
  await Promise.all([
    ghosts.ensure(aci, { profileName: "First", avatar: slow, fetchedAt: 1 }),
    ghosts.ensure(aci, { profileName: "Second", avatar: null, fetchedAt: 2 }),
  ]);
  assert.equal(seen.displayName, "Second (Signal)");
  assert.equal(seen.avatarUrl, "", "the later update's picture (none) wins over the slow earlier one");
});

test("a new contact speaking in two chats at once is registered once", async (t) => {
  const { ghosts, seen } = await ghostsWith(t);
  await Promise.all([
    ghosts.ensure(aci, { profileName: "Dana" }),
    ghosts.ensure(aci, { profileName: "Dana" }),
  ]);
  assert.equal(seen.registrations, 1);
  assert.equal(seen.displayName, "Dana (Signal)");
});
