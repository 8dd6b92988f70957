import assert from "node:assert/strict";
import { test } from "node:test";
import { DoublePuppets } from "../../../../src/bridge/puppets/index.js";
import { createLogger } from "../../../../src/logger.js";

const puppets = new DoublePuppets({
  homeserverUrl: "http://127.0.0.1:8008",
  serverName: "example.org",
  secrets: {
    "example.org": "as_token:own",
    "other.example": "as_token:theirs",
    "nourl.example": "as_token:x",
  },
  servers: { "other.example": "https://matrix.other.example" },
  bridgeId: "signal",
  logger: createLogger("error"),
});

test("the bridge acts as users of servers with an as_token secret and a known URL, and no others", () => {
  assert.ok(puppets.requesterOf("@alice:example.org"), "the bridge's own server: homeserver.url");
  assert.ok(puppets.requesterOf("@bob:other.example"), "another server with its URL in servers");
  assert.equal(puppets.requesterOf("@carol:nourl.example"), undefined, "a secret but no URL");
  assert.equal(puppets.requesterOf("@dave:elsewhere.example"), undefined, "no secret");
});

test("the marker names this bridge, and only events carrying it are its own echoes", () => {
  assert.deepEqual(puppets.marker, { "fi.mau.double_puppet_source": "signal" });
  assert.ok(puppets.isOwnEcho({ body: "x", ...puppets.marker }));
  assert.ok(!puppets.isOwnEcho({ body: "x", "fi.mau.double_puppet_source": "mautrix-whatsapp" }));
  assert.ok(!puppets.isOwnEcho({ body: "x" }));
  assert.ok(!puppets.isOwnEcho(null));
});

test("requests as a user carry the as_token and name the user with user_id", async () => {
  const seen: { url: string; auth: string | null }[] = [];
  const originalFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string, init: RequestInit) => {
    seen.push({ url, auth: new Headers(init.headers).get("authorization") });
    return new Response(JSON.stringify({ event_id: "$e" }), { status: 200 });
  }) as typeof fetch;
  try {
    const answer = await puppets
      .requesterOf("@bob:other.example")!
      .doRequest("PUT", "/_matrix/client/v3/x", { ts: 5 }, {});
    assert.deepEqual(answer, { event_id: "$e" });
  } finally {
    globalThis.fetch = originalFetch;
  }
  assert.deepEqual(seen, [
    {
      url: "https://matrix.other.example/_matrix/client/v3/x?user_id=%40bob%3Aother.example&ts=5",
      auth: "Bearer theirs",
    },
  ]);
});

test("a read receipt set as the user is recognised once when it comes back, and only for that user and room", async () => {
  const originalFetch = globalThis.fetch;
  globalThis.fetch = (async () => new Response("{}", { status: 200 })) as unknown as typeof fetch;
  try {
    assert.equal(await puppets.markRead("@alice:example.org", "!r:example.org", "$e"), true);
    assert.equal(await puppets.markRead("@dave:elsewhere.example", "!r:example.org", "$e"), false);
  } finally {
    globalThis.fetch = originalFetch;
  }
  assert.equal(puppets.isOwnReceipt("@bob:example.org", "!r:example.org", "$e"), false);
  assert.equal(puppets.isOwnReceipt("@alice:example.org", "!other:example.org", "$e"), false);
  assert.equal(puppets.isOwnReceipt("@alice:example.org", "!r:example.org", "$e"), true);
  assert.equal(puppets.isOwnReceipt("@alice:example.org", "!r:example.org", "$e"), false, "only once");
});
