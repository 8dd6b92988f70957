import assert from "node:assert/strict";
import { test } from "node:test";
import { ProvisioningAuth, ProvisioningError } from "../../../../src/bridge/ops/provisioning-auth.js";

const secret = "a-shared-secret-of-some-length";
const auth = new ProvisioningAuth(secret, {
  "*": "relay",
  "example.org": "user",
  "@boss:example.org": "admin",
  "@guest:example.org": "relay",
});

function refusal(authorization: string | undefined, userId: unknown): { status: number; errcode: string } {
  try {
    auth.userOf(authorization, userId);
  } catch (error) {
    assert.ok(error instanceof ProvisioningError, `expected a ProvisioningError, got ${String(error)}`);
    return { status: error.status, errcode: error.errcode };
  }
  assert.fail("the request was let through");
}

test("the shared secret as bearer token and a permitted user_id let a request through", () => {
  assert.equal(auth.userOf(`Bearer ${secret}`, "@alice:example.org"), "@alice:example.org");
  assert.equal(auth.userOf(`bearer ${secret}`, "@boss:example.org"), "@boss:example.org");
});

test("no token is M_MISSING_TOKEN, 401", () => {
  assert.deepEqual(refusal(undefined, "@alice:example.org"), { status: 401, errcode: "M_MISSING_TOKEN" });
  assert.deepEqual(refusal("", "@alice:example.org"), { status: 401, errcode: "M_MISSING_TOKEN" });
  assert.deepEqual(refusal("Bearer ", "@alice:example.org"), { status: 401, errcode: "M_MISSING_TOKEN" });
});

test("any other token is M_UNKNOWN_TOKEN, 401, whoever the request names", () => {
  for (const header of [`Bearer ${secret}x`, `Bearer ${secret.slice(1)}`, `Basic ${secret}`, secret]) {
    assert.deepEqual(refusal(header, "@alice:example.org"), { status: 401, errcode: "M_UNKNOWN_TOKEN" });
  }
  assert.deepEqual(refusal("Bearer wrong", undefined), { status: 401, errcode: "M_UNKNOWN_TOKEN" });
});

test("a missing or malformed user_id is refused with 400", () => {
  assert.deepEqual(refusal(`Bearer ${secret}`, undefined), { status: 400, errcode: "M_MISSING_PARAM" });
  assert.deepEqual(refusal(`Bearer ${secret}`, ["@a:example.org"]), {
    status: 400,
    errcode: "M_MISSING_PARAM",
  });
  assert.deepEqual(refusal(`Bearer ${secret}`, "alice"), { status: 400, errcode: "M_INVALID_PARAM" });
});

test("users below the user level (as bot commands count them) are M_FORBIDDEN, 403", () => {
  assert.deepEqual(refusal(`Bearer ${secret}`, "@guest:example.org"), {
    status: 403,
    errcode: "M_FORBIDDEN",
  });
  assert.deepEqual(refusal(`Bearer ${secret}`, "@someone:elsewhere.net"), {
    status: 403,
    errcode: "M_FORBIDDEN",
  });
});

test("the refusal body is Matrix-style JSON", () => {
  try {
    auth.userOf(undefined, "@alice:example.org");
  } catch (error) {
    assert.deepEqual((error as ProvisioningError).body, {
      errcode: "M_MISSING_TOKEN",
      error: "Missing auth token",
    });
  }
});
