import assert from "node:assert/strict";
import { test } from "node:test";
import type { Login } from "../../../src/bridge/logins.js";
import { RateLimitChallenges } from "../../../src/bridge/rate-limit-challenges.js";
import { createLogger } from "../../../src/logger.js";
import { captchaFromPaste, RateLimitError } from "../../../src/signal/index.js";

const quiet = createLogger("error", "test", () => true);
const login = { userId: "@alice:hs", client: {} } as unknown as Login;
const challenge = (token: string) => new RateLimitError("aci", null, token, ["captcha"]);

test("the user is told about a challenge once, and reminded only after half an hour", async () => {
  let now = 0;
  const told: string[] = [];
  const challenges = new RateLimitChallenges({
    notifyUser: async (userId, text) => void told.push(`${userId}: ${text.split("\n")[0]}`),
    retryHeldNow: () => undefined,
    logger: quiet,
    now: () => now,
  });
  await challenges.refused(login, challenge("t1"));
  for (let i = 0; i < 20; i++) await challenges.refused(login, challenge(`t${i + 2}`));
  assert.equal(told.length, 1);
  now += 31 * 60_000;
  await challenges.refused(login, challenge("t30"));
  assert.equal(told.length, 2);
  await challenges.refused(login, new RateLimitError("aci", 5));
  assert.equal(told.length, 2, "a plain rate limit without a challenge needs nothing from the user");
});

test("submitting without an open challenge says so and wakes nothing", async () => {
  let woken = 0;
  const challenges = new RateLimitChallenges({
    notifyUser: async () => undefined,
    retryHeldNow: () => woken++,
    logger: quiet,
  });
  assert.match(await challenges.submit(login, "signalcaptcha://x"), /nothing to submit/);
  assert.equal(woken, 0);
});

test("the captcha link is passed on without its scheme", () => {
  assert.equal(
    captchaFromPaste(" signalcaptcha://signal-hcaptcha.a.challenge.b "),
    "signal-hcaptcha.a.challenge.b",
  );
  assert.equal(captchaFromPaste("signal-hcaptcha.a.challenge.b"), "signal-hcaptcha.a.challenge.b");
});
