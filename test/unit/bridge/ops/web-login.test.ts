import assert from "node:assert/strict";
import { test } from "node:test";
import type { LinkSession } from "../../../../src/bridge/link-sessions.js";
import { LINK_LIFETIME_MS, PAGE_LIFETIME_MS, WebLogin } from "../../../../src/bridge/ops/web-login.js";
import { type LinkedAccount, LinkingCancelledError } from "../../../../src/signal/index.js";
import { FakeClock, recordingLogger, settle } from "../fake-clock.js";

const alice = "@alice:example.org";
const account: LinkedAccount = {
  aci: "0b7e4b8c-8f0e-4f40-9d36-0d0ad4b1c7a1",
  pni: "p",
  number: "+15550001",
  deviceId: 2,
};

function setting() {
  const clock = new FakeClock();
  const listeners = new Set<(url: string) => void>();
  let settle_: { resolve(account: LinkedAccount): void; reject(error: Error): void } | undefined;
  const linked = new Promise<LinkedAccount>((resolve, reject) => (settle_ = { resolve, reject }));
  linked.catch(() => undefined);
  const session: LinkSession & { url: string | undefined } = {
    userId: alice,
    url: undefined,
    linked,
    chats: Promise.resolve(null),
    onUrl: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    cancel: () => settle_!.reject(new LinkingCancelledError()),
  };
  const reported: string[] = [];
  const web = new WebLogin({
    publicAddress: "https://bridge.example.org",
    sessions: { start: () => ({ session, started: true }), current: () => session },
    logins: { loginOf: () => undefined },
    qrImage: async (url) => `data:${url}`,
    reportLinking: (started) => void reported.push(started.userId),
    logger: recordingLogger(),
    clock,
  });
  const showUrl = (url: string) => {
    session.url = url;
    for (const listener of listeners) listener(url);
  };
  const tokenOf = (link: string) => link.slice(link.indexOf("#") + 1);
  return { clock, web, showUrl, settle: settle_!, reported, tokenOf, session };
}

test("a link is under the public address, with its token in the fragment", () => {
  const { web } = setting();
  assert.match(web.linkFor(alice), /^https:\/\/bridge\.example\.org\/_signal\/login#[\w-]{43}$/);
});

test("a link opens one page session, once; an unknown token opens none", () => {
  const { web, tokenOf } = setting();
  const token = tokenOf(web.linkFor(alice));
  assert.equal(web.open("made-up"), undefined);
  const page = web.open(token);
  assert.ok(page && page !== token);
  assert.equal(web.open(token), undefined, "used");
});

test("a link not opened within 10 minutes is dead", async () => {
  const { web, tokenOf, clock } = setting();
  const token = tokenOf(web.linkFor(alice));
  await clock.advance(LINK_LIFETIME_MS);
  assert.equal(web.open(token), undefined);
});

test("the page follows the linking: its QR codes, then who is logged in; it starts and reports it", async () => {
  const { web, tokenOf, showUrl, settle: linking, reported } = setting();
  const page = web.open(tokenOf(web.linkFor(alice)))!;
  assert.deepEqual(reported, [alice]);
  assert.deepEqual(await web.stateOf(page, -1), { version: 0, state: "starting" });
  const next = web.stateOf(page, 0);
  showUrl("sgnl://one");
  await settle();
  assert.deepEqual(await next, { version: 1, state: "qr", qr: "data:sgnl://one" });
  showUrl("sgnl://two");
  await settle();
  assert.deepEqual(await web.stateOf(page, 1), { version: 2, state: "qr", qr: "data:sgnl://two" });
  linking.resolve(account);
  await settle();
  assert.deepEqual(await web.stateOf(page, 2), { version: 3, state: "linked", account: "+15550001" });
});

test("a cancelled linking shows as cancelled; a page expires after 15 minutes", async () => {
  const { web, tokenOf, session, clock } = setting();
  const page = web.open(tokenOf(web.linkFor(alice)))!;
  session.cancel();
  await settle();
  assert.equal((await web.stateOf(page, 0))?.state, "cancelled");
  await clock.advance(PAGE_LIFETIME_MS);
  assert.equal(await web.stateOf(page, -1), undefined);
});
