// The reference the bridge's Matrix side is compared with: a second appservice registered on the
// same Synapse that sends plain text events itself. Synapse pushes it transactions like it pushes
// the bridge (to a listener that only answers them), so Synapse does the same work for both.
// Its texts have the content the bridge gives a plain Signal text, `m.mentions: {}` included (as
// mautrix bridges do, so that Matrix clients apply no legacy body-based mention rules): the
// figures compare the same events. Synapse validates `m.mentions` with jsonschema, about 2-3 ms
// of its CPU per event on the development VM; a reference without it made every bridged event
// look that much dearer.
//
// It runs in a process of its own (reference-appservice-process.ts), so that its CPU per send is
// measured as the bridge's is: the floor of what a Node appservice spends on the Matrix side.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ReferenceAppservice {
  registrationFile: string;
  /** The appservice's own user, `@benchref:localhost`. */
  userId: string;
  /** Its process, for /proc figures. */
  pid: number;
  /** Points the appservice at the homeserver once it runs. */
  connect(homeserverUrl: string): Promise<void>;
  /** Creates a room as the appservice's user, inviting `invite`; returns its id. */
  createRoom(invite: string[]): Promise<string>;
  /**
   * Sends the texts into the room one at a time (each once Synapse accepted the one before), as
   * the bridge renders a plain Signal text.
   */
  sendTexts(roomId: string, bodies: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** What the parent asks of the reference's process. */
export type ReferenceRequest = { id: number } & (
  | { op: "connect"; homeserverUrl: string }
  | { op: "createRoom"; invite: string[] }
  | { op: "sendTexts"; roomId: string; bodies: readonly string[] }
);
/** Its answer to one request. */
export type ReferenceReply = { id: number; result?: unknown; error?: string };
/** Its first message: listening, registration written. */
export type ReferenceReady = { ready: true; registrationFile: string };

type Request = ReferenceRequest extends infer R ? (R extends unknown ? Omit<R, "id"> : never) : never;

const START_TIMEOUT_MS = 30_000;

/** Starts the reference's process, which writes its registration into `dir` and listens. */
export async function startReferenceAppservice(dir: string): Promise<ReferenceAppservice> {
  const script = fileURLToPath(new URL("./reference-appservice-process.js", import.meta.url));
  const child: ChildProcess = fork(script, [dir], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 0;
  let ready: (message: ReferenceReady) => void;
  const started = new Promise<ReferenceReady>((resolve) => (ready = resolve));
  child.on("message", (message: ReferenceReply | ReferenceReady) => {
    if ("ready" in message) return ready(message);
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) waiter?.reject(new Error(`reference appservice: ${message.error}`));
    else waiter?.resolve(message.result);
  });
  void exited.then(() => {
    for (const waiter of pending.values())
      waiter.reject(new Error("the reference appservice's process ended"));
    pending.clear();
  });
  const ask = (request: Request): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ ...request, id });
    });
  let timer: NodeJS.Timeout | undefined;
  const { registrationFile } = await Promise.race([
    started,
    exited.then(() => Promise.reject(new Error("the reference appservice's process ended before listening"))),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("the reference appservice did not start listening in 30 s")),
        START_TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  return {
    registrationFile,
    userId: "@benchref:localhost",
    pid: child.pid!,
    connect: async (homeserverUrl) => void (await ask({ op: "connect", homeserverUrl })),
    createRoom: async (invite) => String(await ask({ op: "createRoom", invite })),
    sendTexts: async (roomId, bodies) => void (await ask({ op: "sendTexts", roomId, bodies })),
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        // Disconnecting tells it to close its listener and exit.
        if (child.connected) child.disconnect();
        else child.kill();
      }
      await exited;
    },
  };
}
