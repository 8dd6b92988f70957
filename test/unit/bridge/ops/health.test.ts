// /_matrix/mau/live and /_matrix/mau/ready on the appservice listener.
import assert from "node:assert/strict";
import { test } from "node:test";
// Makes matrix-appservice-bridge loadable without the native crypto library, as in the bridge.
import "../../../../src/bridge/native-matrix-crypto.js";
import { AppService } from "matrix-appservice-bridge";
import { cachedProbe, serveHealth, type Readiness } from "../../../../src/bridge/ops/health.js";
import { freePort } from "../../../support/wait.js";

test("live answers while the process serves; ready only once started, with the database and homeserver there", async (t) => {
  const state = {
    pending: "the homeserver to answer" as string | undefined,
    database: true,
    homeserver: undefined as string | undefined,
  };
  const readiness: Readiness = {
    startupPending: () => state.pending,
    databaseAnswers: async () => state.database,
    homeserverProblem: async () => state.homeserver,
  };
  const appService = new AppService({ homeserverToken: "hs-secret" });
  serveHealth(appService.expressApp, readiness);
  const port = await freePort();
  await appService.listen(port, "127.0.0.1", 10);
  t.after(() => appService.close());
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}/_matrix/mau/${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  assert.equal((await get("live")).status, 200);
  assert.deepEqual(await get("ready"), {
    status: 503,
    body: { status: "not ready", reason: "starting: waiting for the homeserver to answer" },
  });
  state.pending = undefined;
  assert.deepEqual(await get("ready"), { status: 200, body: { status: "ready" } });
  state.homeserver = "connection refused";
  assert.deepEqual(await get("ready"), {
    status: 503,
    body: { status: "not ready", reason: "the homeserver is not reachable: connection refused" },
  });
  state.database = false;
  assert.equal((await get("ready")).body["reason"], "the database does not answer");
  assert.equal((await get("live")).status, 200, "live does not depend on the peers");
});

test("the homeserver probe is shared for a while, then asked again", async () => {
  let calls = 0;
  let clock = 0;
  const probe = cachedProbe(
    async () => {
      calls++;
      if (calls === 2) throw new Error("boom");
      return undefined;
    },
    1000,
    () => clock,
  );
  assert.equal(await probe(), undefined);
  clock = 999;
  assert.equal(await probe(), undefined);
  assert.equal(calls, 1);
  clock = 1000;
  assert.equal(await probe(), "Error: boom", "a failing probe is a reason, not a rejection");
  assert.equal(calls, 2);
});
