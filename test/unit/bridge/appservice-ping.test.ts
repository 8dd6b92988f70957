import assert from "node:assert/strict";
import { test } from "node:test";
// Makes matrix-appservice-bridge loadable without the native crypto library, as in the bridge.
import "../../../src/bridge/native-matrix-crypto.js";
import { AppService } from "matrix-appservice-bridge";
import { servePing } from "../../../src/bridge/appservice-ping.js";
import { freePort } from "../../support/wait.js";

test("the appservice ping answers the homeserver's hs_token with {} and refuses a missing or wrong one", async (t) => {
  const appService = new AppService({ homeserverToken: "hs-secret" });
  servePing(appService.expressApp, "hs-secret");
  const port = await freePort();
  await appService.listen(port, "127.0.0.1", 10);
  t.after(() => appService.close());

  const ping = async (headers: Record<string, string>, query = "") => {
    const response = await fetch(`http://127.0.0.1:${port}/_matrix/app/v1/ping${query}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ transaction_id: "txn-1" }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  assert.deepEqual(await ping({ authorization: "Bearer hs-secret" }), { status: 200, body: {} });
  assert.deepEqual(await ping({}, "?access_token=hs-secret"), { status: 200, body: {} });
  const missing = await ping({});
  assert.equal(missing.status, 401);
  assert.equal(missing.body["errcode"], "M_UNAUTHORIZED");
  const wrong = await ping({ authorization: "Bearer not-the-token" });
  assert.equal(wrong.status, 403);
  assert.equal(wrong.body["errcode"], "M_FORBIDDEN");
});
