// The steps of a phone-number lookup around libsignal's CDSI client, with that client faked:
// credentials from the chat service, the numbers asked, the answer matched back, the rate limit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LibSignalErrorBase } from "@signalapp/libsignal-client";
import type { Net } from "@signalapp/libsignal-client/dist/net.js";
import type { ChatRequester } from "../../../../src/signal/chat-api.js";
import {
  DiscoveryAuthError,
  DiscoveryRateLimitedError,
  discoverPhoneNumbers,
} from "../../../../src/signal/contacts/contact-discovery.js";

const ACI = "33333333-3333-4333-8333-333333333333";
const PNI = "44444444-4444-4444-8444-444444444444";

function fakeChat(body: unknown, paths: string[]): ChatRequester {
  return {
    fetch: async (request) => {
      paths.push(`${request.verb} ${request.path}`);
      return {
        status: 200,
        message: "OK",
        headers: [],
        body: new TextEncoder().encode(JSON.stringify(body)),
      };
    },
  } as ChatRequester;
}

type Lookup = Net["cdsiLookup"];

test("credentials come from /v2/directory/auth and found numbers are matched by their digits", async () => {
  const paths: string[] = [];
  const asked: Array<{ auth: unknown; e164s: readonly string[] }> = [];
  const cdsiLookup: Lookup = async (auth, options) => {
    asked.push({ auth, e164s: options.e164s });
    return {
      entries: new Map([
        ["+15551234567", { aci: ACI, pni: PNI }],
        ["+15557654321", { aci: undefined, pni: PNI }],
      ]),
      debugPermitsUsed: 3,
    };
  };
  const found = await discoverPhoneNumbers(
    { cdsiLookup },
    fakeChat({ username: "user", password: "secret" }, paths),
    ["+15551234567", "+15557654321", "+15550000000"],
  );
  assert.deepEqual(paths, ["GET /v2/directory/auth"]);
  assert.deepEqual(asked, [
    {
      auth: { username: "user", password: "secret" },
      e164s: ["+15551234567", "+15557654321", "+15550000000"],
    },
  ]);
  assert.deepEqual(
    [...found],
    [
      ["+15551234567", { aci: ACI, pni: PNI }],
      ["+15557654321", { aci: null, pni: PNI }],
    ],
    "the number nobody has is left out",
  );
});

test("libsignal's rate limit becomes DiscoveryRateLimitedError with the time to wait", async () => {
  const cdsiLookup: Lookup = async () => {
    throw new LibSignalErrorBase("rate limited", "RateLimitedError", "cdsi", { retryAfterSecs: 90 });
  };
  await assert.rejects(
    discoverPhoneNumbers({ cdsiLookup }, fakeChat({ username: "u", password: "p" }, []), ["+15551234567"]),
    (error) => error instanceof DiscoveryRateLimitedError && error.retryAfterSeconds === 90,
  );
});

test("an answer without credentials is an error, and nothing is looked up", async () => {
  let called = false;
  const cdsiLookup: Lookup = async () => {
    called = true;
    return { entries: new Map(), debugPermitsUsed: 0 };
  };
  await assert.rejects(
    discoverPhoneNumbers({ cdsiLookup }, fakeChat({ username: "u" }, []), ["+15551234567"]),
    DiscoveryAuthError,
  );
  assert.equal(called, false);
});
