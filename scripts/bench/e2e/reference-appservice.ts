// The reference the bridge's Matrix side is compared with: a second appservice registered on the
// same Synapse that sends plain text events itself. Synapse pushes it transactions like it pushes
// the bridge (to a listener here that only answers them), so Synapse does the same work for both.
// Its texts have the content the bridge gives a plain Signal text, `m.mentions: {}` included (as
// mautrix bridges do, so that Matrix clients apply no legacy body-based mention rules): the
// figures compare the same events. Synapse validates `m.mentions` with jsonschema, about 2-3 ms
// of its CPU per event on the development VM; a reference without it made every bridged event
// look that much dearer.
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { stringify } from "yaml";

export interface ReferenceAppservice {
  registrationFile: string;
  /** The appservice's own user, `@benchref:localhost`. */
  userId: string;
  /** Points the appservice at the homeserver once it runs. */
  connect(homeserverUrl: string): void;
  /** Creates a room as the appservice's user, inviting `invite`; returns its id. */
  createRoom(invite: string[]): Promise<string>;
  /** Sends one text event, as the bridge renders a plain Signal text; resolves with its event id. */
  sendText(roomId: string, body: string): Promise<string>;
  close(): Promise<void>;
}

/** Writes the registration into `dir` and starts the listener Synapse will push to. */
export async function startReferenceAppservice(dir: string): Promise<ReferenceAppservice> {
  const listener: Server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const port = (listener.address() as AddressInfo).port;
  const asToken = randomBytes(32).toString("hex");
  const registrationFile = join(dir, "reference-registration.yaml");
  await writeFile(
    registrationFile,
    stringify({
      id: "bench-reference",
      url: `http://127.0.0.1:${port}`,
      as_token: asToken,
      hs_token: randomBytes(32).toString("hex"),
      sender_localpart: "benchref",
      rate_limited: false,
      namespaces: { users: [{ regex: "^@benchref:localhost$", exclusive: true }], aliases: [], rooms: [] },
    }),
  );

  let homeserverUrl = "";
  let txn = 0;
  const call = async (method: string, path: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${homeserverUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${asToken}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const txnPrefix = randomBytes(4).toString("hex");
  return {
    registrationFile,
    userId: "@benchref:localhost",
    connect(url) {
      homeserverUrl = url;
    },
    async createRoom(invite) {
      const answer = await call("POST", "/_matrix/client/v3/createRoom", { invite, preset: "private_chat" });
      return String(answer["room_id"]);
    },
    async sendText(roomId, body) {
      const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnPrefix}-${txn++}`;
      const answer = await call("PUT", path, { msgtype: "m.text", body, "m.mentions": {} });
      return String(answer["event_id"]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        listener.closeAllConnections();
        listener.close(() => resolve());
      }),
  };
}
