import assert from "node:assert/strict";
import { test } from "node:test";
import { Aci, Pni } from "@signalapp/libsignal-client";
import {
  AuthCredentialPresentation,
  GroupPublicParams,
  ServerSecretParams,
  ServerZkAuthOperations,
} from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import type { ChatRequester } from "../../../../src/signal/chat-api.js";
import { PRODUCTION_ENVIRONMENT } from "../../../../src/signal/production-environment.js";
import { GroupCipher } from "../../../../src/signal/groups/group-cipher.js";
import { GroupCredentials } from "../../../../src/signal/groups/group-credentials.js";

const DAY = 24 * 60 * 60;
const ACI = "9d0652a3-dcc3-4d11-975f-74d61598733f";
const PNI = "5e5a7f46-9a6c-4d5f-8f4e-7b0f2d6f9c1e";

/** A chat service that issues real group credentials (as the server does) and counts requests. */
function fakeChatService(secret: ServerSecretParams) {
  const requests: URLSearchParams[] = [];
  const chat: ChatRequester = {
    async fetch(request) {
      const query = new URLSearchParams(request.path.split("?")[1] ?? "");
      requests.push(query);
      const from = Number(query.get("redemptionStartSeconds"));
      const to = Number(query.get("redemptionEndSeconds"));
      const operations = new ServerZkAuthOperations(secret);
      const credentials = [];
      for (let day = from; day <= to; day += DAY) {
        const response = operations.issueAuthCredentialWithPniZkc(Aci.fromUuid(ACI), Pni.fromUuid(PNI), day);
        credentials.push({
          credential: Buffer.from(response.serialize()).toString("base64"),
          redemptionTime: day,
        });
      }
      const body = new TextEncoder().encode(JSON.stringify({ credentials, pni: PNI }));
      return { status: 200, message: "OK", headers: [], body } as unknown as Awaited<
        ReturnType<ChatRequester["fetch"]>
      >;
    },
  };
  return { chat, requests };
}

test("group credentials are fetched once per week-long window and prove membership for any group", async () => {
  const secret = ServerSecretParams.generate();
  const environment = {
    ...PRODUCTION_ENVIRONMENT,
    serverPublicParams: Buffer.from(secret.getPublicParams().serialize()).toString("base64"),
  };
  const { chat, requests } = fakeChatService(secret);
  const dayStart = 20_000 * DAY;
  let now = (dayStart + 5 * 60 * 60) * 1000;
  const credentials = new GroupCredentials({ environment, chat, aci: ACI, pni: PNI, now: () => now });
  const group = new GroupCipher(new Uint8Array(32).fill(9));

  const header = await credentials.authorization(group);
  await credentials.authorization(new GroupCipher(new Uint8Array(32).fill(10)));
  assert.equal(requests.length, 1, "one request serves several groups on the same day");
  assert.equal(
    requests[0]?.get("redemptionStartSeconds"),
    String(dayStart),
    "the window starts at midnight UTC",
  );
  assert.equal(requests[0]?.get("redemptionEndSeconds"), String(dayStart + 7 * DAY), "and spans seven days");

  const [user, password] = Buffer.from(header.replace(/^Basic /, ""), "base64")
    .toString()
    .split(":");
  assert.equal(user, Buffer.from(group.publicParams).toString("hex"));
  const presentation = new AuthCredentialPresentation(new Uint8Array(Buffer.from(password ?? "", "hex")));
  new ServerZkAuthOperations(secret).verifyAuthCredentialPresentation(
    new GroupPublicParams(new Uint8Array(group.publicParams)),
    presentation,
    new Date(now),
  );

  now += 6 * DAY * 1000;
  await credentials.authorization(group);
  assert.equal(requests.length, 1, "six days later the cached window still covers today");

  now += 2 * DAY * 1000;
  await credentials.authorization(group);
  assert.equal(requests.length, 2, "after the window a new one is fetched");
  assert.equal(requests[1]?.get("redemptionStartSeconds"), String(dayStart + 8 * DAY));
});
