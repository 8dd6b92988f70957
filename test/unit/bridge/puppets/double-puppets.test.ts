import assert from "node:assert/strict";
import { test } from "node:test";
import { DoublePuppets } from "../../../../src/bridge/puppets/index.js";
import { createLogger } from "../../../../src/logger.js";

/** Tokens as the store keeps them, in memory. */
function memoryTokens() {
  const tokens = new Map<string, string>();
  return {
    saveToken: async (userId: string, token: string) => void tokens.set(userId, token),
    tokenOf: async (userId: string) => tokens.get(userId),
    deleteToken: async (userId: string) => tokens.delete(userId),
    accounts: async () => [...tokens.keys()],
  };
}

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
  tokens: memoryTokens(),
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

/** Answers every request with `body` and `status`, recording what was asked. */
async function withFetch<T>(
  status: number,
  body: unknown,
  run: (seen: { url: string; auth: string | null }[]) => Promise<T>,
): Promise<T> {
  const seen: { url: string; auth: string | null }[] = [];
  const originalFetch = globalThis.fetch;
  globalThis.fetch = (async (url: string, init: RequestInit) => {
    seen.push({ url, auth: new Headers(init.headers).get("authorization") });
    return new Response(JSON.stringify(body), { status });
  }) as typeof fetch;
  try {
    return await run(seen);
  } finally {
    globalThis.fetch = originalFetch;
  }
}

test("login-matrix keeps a token the homeserver says is the user's, and requests then use it", async () => {
  const own = new DoublePuppets({
    homeserverUrl: "http://127.0.0.1:8008",
    serverName: "example.org",
    secrets: {},
    servers: {},
    bridgeId: "signal",
    tokens: memoryTokens(),
    logger: createLogger("error"),
  });
  assert.equal(own.requesterOf("@alice:example.org"), undefined, "no double puppet before login-matrix");
  await withFetch(401, { errcode: "M_UNKNOWN_TOKEN" }, async () => {
    await assert.rejects(own.login("@alice:example.org", "bad"), /does not accept that access token/);
  });
  await withFetch(200, { user_id: "@mallory:example.org" }, async () => {
    await assert.rejects(own.login("@alice:example.org", "theirs"), /belongs to @mallory:example.org/);
  });
  await assert.rejects(
    own.login("@bob:elsewhere.example", "t"),
    /does not know the address of elsewhere.example/,
  );
  assert.equal(own.requesterOf("@alice:example.org"), undefined, "refused tokens are not kept");

  await withFetch(200, { user_id: "@alice:example.org" }, async (seen) => {
    await own.login("@alice:example.org", "alices-token");
    assert.deepEqual(seen, [
      { url: "http://127.0.0.1:8008/_matrix/client/v3/account/whoami", auth: "Bearer alices-token" },
    ]);
  });
  await withFetch(200, {}, async (seen) => {
    await own.requesterOf("@alice:example.org")!.doRequest("GET", "/_matrix/client/v3/x");
    assert.deepEqual(seen, [
      { url: "http://127.0.0.1:8008/_matrix/client/v3/x", auth: "Bearer alices-token" },
    ]);
  });
  assert.equal(await own.logout("@alice:example.org"), true);
  assert.equal(await own.logout("@alice:example.org"), false);
  assert.equal(own.requesterOf("@alice:example.org"), undefined, "forgotten by logout-matrix");
});

test("login-matrix is refused where the server has a secret", async () => {
  await assert.rejects(puppets.login("@alice:example.org", "t"), /needs no token from you/);
});

test("a login-matrix command is journaled without its token, which waits for the command", () => {
  const event = (body: string, sender = "@alice:example.org") => ({
    type: "m.room.message",
    sender,
    event_id: "$c",
    room_id: "!m:example.org",
    content: { msgtype: "m.text", body, format: "org.matrix.custom.html", formatted_body: body },
  });
  const scrubbed = puppets.withoutSecrets(event("login-matrix syt_secret"));
  assert.deepEqual(scrubbed["content"], { msgtype: "m.text", body: "login-matrix <token>" });
  assert.ok(!JSON.stringify(scrubbed).includes("syt_secret"));
  assert.deepEqual(puppets.withoutSecrets(event("!signal login-matrix syt_other"))["content"], {
    msgtype: "m.text",
    body: "!signal login-matrix <token>",
  });
  assert.equal(puppets.takePendingToken("@alice:example.org"), "syt_other", "the latest command's token");
  assert.equal(puppets.takePendingToken("@alice:example.org"), undefined, "taken once");
  const plain = event("hello there");
  assert.equal(puppets.withoutSecrets(plain), plain, "other messages are journaled as they are");
});
