import assert from "node:assert/strict";
import { test } from "node:test";
import { generateRegistration, validateConfig } from "../../../src/config/index.js";

const config = validateConfig({
  homeserver: { url: "http://localhost:8008", domain: "example.org" },
  permissions: { "*": "user" },
});

test("the registration claims the bot and the ghosts exclusively, and nobody else", () => {
  const registration = generateRegistration(config);
  assert.equal(registration.sender_localpart, "signalbot");
  const patterns = registration.namespaces.users.map((n) => {
    assert.equal(n.exclusive, true);
    return new RegExp(n.regex);
  });
  const claimed = (userId: string) => patterns.some((p) => p.test(userId));
  assert.ok(claimed("@signalbot:example.org"));
  assert.ok(claimed("@signal_0f4b2c1e-7f3a-4a8e-9d1c-2b3a4c5d6e7f:example.org"));
  assert.ok(!claimed("@alice:example.org"));
  assert.ok(!claimed("@signalbot:example.org.evil"));
  assert.ok(!claimed("@signal_0f4b2c1e:other.org"));
  assert.ok(!claimed("@xsignalbot:example.org"));
});

test("ephemeral events are requested, rate limits off, tokens fresh each time", () => {
  const first = generateRegistration(config);
  const second = generateRegistration(config, "http://bridge:1234");
  assert.equal(first.receive_ephemeral, true);
  assert.equal(first["de.sorunome.msc2409.push_ephemeral"], true);
  assert.equal(first.rate_limited, false);
  assert.equal(first.url, "http://localhost:29328");
  assert.equal(second.url, "http://bridge:1234");
  assert.match(first.as_token, /^[0-9a-f]{64}$/);
  assert.notEqual(first.as_token, first.hs_token);
  assert.notEqual(first.as_token, second.as_token);
});
