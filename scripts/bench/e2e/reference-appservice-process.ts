// The reference appservice's own process (forked by reference-appservice.ts), so that its CPU per
// send can be read from /proc beside the bridge's: the Matrix-side work any Node appservice does
// per bridged message (its PUT /send, and answering the transaction Synapse pushes back), with
// nothing of the bridge's own (no decryption, no store, no bot-sdk). It writes its registration
// into the directory it is given, then runs the requests its parent sends over IPC.
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { Agent, createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";
import type { ReferenceReady, ReferenceReply, ReferenceRequest } from "./reference-appservice.js";

const dir = process.argv[2];
if (!dir || !process.send)
  throw new Error("reference-appservice-process: run it through fork(), with a directory");
const reply = (message: ReferenceReply | ReferenceReady) => process.send!(message);

// Answers what Synapse pushes; reading the body is the work any appservice does for it.
const listener = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end("{}");
  });
});
await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
const asToken = randomBytes(32).toString("hex");
const registrationFile = join(dir, "reference-registration.yaml");
await writeFile(
  registrationFile,
  stringify({
    id: "bench-reference",
    url: `http://127.0.0.1:${(listener.address() as AddressInfo).port}`,
    as_token: asToken,
    hs_token: randomBytes(32).toString("hex"),
    sender_localpart: "benchref",
    rate_limited: false,
    namespaces: { users: [{ regex: "^@benchref:localhost$", exclusive: true }], aliases: [], rooms: [] },
  }),
);

let homeserverUrl = "";
let txn = 0;
const txnPrefix = randomBytes(4).toString("hex");

// node:http with kept-alive connections, the cheapest way Node has to make these requests
// (fetch costs about twice its CPU per request here), so the reference is a floor.
const agent = new Agent({ keepAlive: true });

function call(method: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${homeserverUrl}${path}`,
      {
        method,
        agent,
        headers: {
          authorization: `Bearer ${asToken}`,
          "content-type": "application/json",
          "content-length": payload.length,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (response.statusCode !== 200)
            reject(new Error(`${method} ${path} answered ${response.statusCode}: ${text}`));
          else resolve(JSON.parse(text) as Record<string, unknown>);
        });
      },
    );
    request.on("error", reject);
    request.end(payload);
  });
}

/** Each text once Synapse accepted the one before, as the bridge sends one chat's messages. */
async function sendTexts(roomId: string, bodies: readonly string[]): Promise<void> {
  for (const body of bodies) {
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnPrefix}-${txn++}`;
    await call("PUT", path, { msgtype: "m.text", body, "m.mentions": {} });
  }
}

async function run(request: ReferenceRequest): Promise<unknown> {
  switch (request.op) {
    case "connect":
      homeserverUrl = request.homeserverUrl;
      return null;
    case "createRoom": {
      const answer = await call("POST", "/_matrix/client/v3/createRoom", {
        invite: request.invite,
        preset: "private_chat",
      });
      return String(answer["room_id"]);
    }
    case "sendTexts":
      return sendTexts(request.roomId, request.bodies).then(() => null);
  }
}

process.on("message", (request: ReferenceRequest) => {
  run(request).then(
    (result) => reply({ id: request.id, result }),
    (error: unknown) => reply({ id: request.id, error: (error as Error).message ?? String(error) }),
  );
});
// The parent closing the channel (its close(), or its end) ends this process too.
process.on("disconnect", () => {
  listener.closeAllConnections();
  listener.close(() => process.exit(0));
});
reply({ ready: true, registrationFile });
