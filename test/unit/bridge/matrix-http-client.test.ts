import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test, type TestContext } from "node:test";
import {
  type RequestParams,
  type RequestResponse,
  requestWithNode,
} from "../../../src/bridge/matrix-http-client.js";

async function serve(
  t: TestContext,
  handler: (request: IncomingMessage, body: Buffer, response: ServerResponse) => void,
): Promise<string> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => handler(request, Buffer.concat(chunks), response));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function call(params: RequestParams): Promise<{ response: RequestResponse; body: string | Buffer }> {
  return new Promise((resolve, reject) =>
    requestWithNode(params, (error, response, body) =>
      error ? reject(error) : resolve({ response: response!, body: body! }),
    ),
  );
}

test("method, query (arrays repeated), headers and a JSON body go out as matrix-bot-sdk gives them", async (t) => {
  let seen: { method?: string; url?: string; type?: string; length?: string; body?: string } = {};
  const base = await serve(t, (request, body, response) => {
    seen = {
      method: request.method,
      url: request.url,
      type: request.headers["content-type"],
      length: request.headers["content-length"],
      body: body.toString(),
    };
    response.writeHead(200, { "Content-Type": "application/json" }).end('{"event_id":"$e"}');
  });
  const { response, body } = await call({
    uri: `${base}/_matrix/client/v3/rooms/!r%3Ahs/send/m.room.message/t1?user_id=%40a%3Ahs`,
    method: "PUT",
    qs: { dir: "b", types: ["m.a", "m.b"] },
    headers: { "Content-Type": "application/json", Authorization: "Bearer x" },
    body: JSON.stringify({ body: "hé" }),
  });
  assert.deepEqual(seen, {
    method: "PUT",
    url: "/_matrix/client/v3/rooms/!r%3Ahs/send/m.room.message/t1?user_id=%40a%3Ahs&dir=b&types=m.a&types=m.b",
    type: "application/json",
    length: String(Buffer.byteLength('{"body":"hé"}')),
    body: '{"body":"hé"}',
  });
  assert.equal(response.statusCode, 200);
  assert.equal(body, '{"event_id":"$e"}', "a string, for matrix-bot-sdk to parse");
  assert.equal(response.body, body);
});

test("with encoding null the answer is a Buffer; a Buffer body is sent as it is", async (t) => {
  const bytes = Buffer.from([0, 1, 2, 255]);
  const base = await serve(t, (_request, body, response) => response.writeHead(200).end(body));
  const { body } = await call({ uri: `${base}/upload`, method: "POST", body: bytes, encoding: null });
  assert.ok(Buffer.isBuffer(body));
  assert.deepEqual(body, bytes);
});

test("error statuses are answers, not failures; GET follows redirects", async (t) => {
  const base = await serve(t, (request, _body, response) => {
    if (request.url === "/moved") response.writeHead(302, { Location: "/here" }).end();
    else if (request.url === "/here") response.writeHead(200).end("arrived");
    else response.writeHead(404).end('{"errcode":"M_NOT_FOUND"}');
  });
  const missing = await call({ uri: `${base}/nothing` });
  assert.equal(missing.response.statusCode, 404);
  assert.equal(missing.body, '{"errcode":"M_NOT_FOUND"}');
  assert.equal((await call({ uri: `${base}/moved` })).body, "arrived");
});

test("a refused connection fails with Node's error; a silent server with request's timeout codes", async (t) => {
  const base = await serve(t, () => undefined);
  await assert.rejects(call({ uri: `${base}/slow`, timeout: 200 }), { code: "ETIMEDOUT" });
  await assert.rejects(call({ uri: "http://127.0.0.1:1/unreachable" }), { code: "ECONNREFUSED" });
});
