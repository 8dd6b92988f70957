// A contact's texts through the mock Signal server (in this process) to a linked client with a
// real store: the mock encrypts and delivers, the client decrypts, buffers, acknowledges and
// emits the message, and each message is marked handled as the bridge does after bridging it.
// First one at a time (latency), then backlogs handed to the mock at once, as after the bridge
// was away (envelopes that arrive together share a commit).
import { performance } from "node:perf_hooks";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import type { SignalClient } from "../../src/signal/index.js";
import type { MockSignalServer } from "../../test/support/mock-signal-server.js";
import { withTimeout } from "../../test/support/wait.js";
import {
  type EventLog,
  introduce,
  linkToPhone,
  startConnectedClient,
} from "../../test/support/linked-signal-client.js";
import { startMockSignalServer } from "../../test/support/mock-signal-server.js";
import { openTestStore } from "../../test/support/signal-test-store.js";
import { measureLatency, type Figure } from "./measure.js";

const RUN = { warmupOps: 20, durationMs: 5000 };
const MESSAGE_TIMEOUT_MS = 10_000;
const BACKLOG = 200;
const BACKLOG_ROUNDS = 3;

export async function mockSignalFigures(): Promise<Figure[]> {
  const mock = await startMockSignalServer();
  const testStore = await openTestStore();
  try {
    const contact = await mock.server.createPrimaryDevice({ profileName: "Contact" });
    const phone = await mock.server.createPrimaryDevice({ profileName: "Phone", contacts: [contact] });
    const storage = await testStore.store.signalStorage("@bench:localhost");
    const device = await linkToPhone(mock, storage, phone);
    await introduce(contact, device);
    const { client, log } = await startConnectedClient(mock, storage);
    try {
      const figure = await measureLatency(
        "mock server -> client: text sent, decrypted, handled",
        "msg/s",
        async (i) => {
          const body = `benchmark message ${i}`;
          await contact.sendText(device, body);
          const event = await log.waitFor(
            "message",
            (e) => e.message.body === body,
            `message ${i} to reach the client`,
            MESSAGE_TIMEOUT_MS,
          );
          await client.markHandled(event.id);
        },
        RUN,
      );
      return [figure, await backlogFigure({ mock, contact, device, client, log })];
    } finally {
      await client.stop();
    }
  } finally {
    await testStore.close();
    await mock.close();
  }
}

/**
 * BACKLOG texts encrypted beforehand and handed to the mock at once, timed until the client has
 * emitted the last one and every one is marked handled; BACKLOG_ROUNDS times, pooled. The CPU is
 * this whole process's (the mock's delivery included) per message.
 */
async function backlogFigure(setting: {
  mock: MockSignalServer;
  contact: PrimaryDevice;
  device: Device;
  client: SignalClient;
  log: EventLog;
}): Promise<Figure> {
  const { mock, contact, device, client, log } = setting;
  let seconds = 0;
  let cpuMs = 0;
  for (let round = 0; round < BACKLOG_ROUNDS; round++) {
    const envelopes = [];
    for (let i = 0; i < BACKLOG; i++) {
      envelopes.push(await contact.encryptText(device, `backlog ${round} ${i}`));
    }
    const last = `backlog ${round} ${BACKLOG - 1}`;
    const marks: Array<Promise<void>> = [];
    const unsubscribe = client.on("message", (event) => {
      if (event.message.body?.startsWith(`backlog ${round} `)) marks.push(client.markHandled(event.id));
    });
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const arrived = log.waitFor(
      "message",
      (e) => e.message.body === last,
      `${last} to reach the client`,
      60_000,
    );
    await Promise.all(envelopes.map((envelope) => mock.server.send(device, envelope)));
    await arrived;
    await withTimeout(Promise.all(marks), 60_000, "the backlog's handled marks");
    seconds += (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    cpuMs += (cpu.user + cpu.system) / 1000;
    unsubscribe();
    if (marks.length !== BACKLOG) throw new Error(`${marks.length} of ${BACKLOG} backlog texts arrived`);
  }
  const count = BACKLOG * BACKLOG_ROUNDS;
  return {
    name: `mock server -> client: backlog of ${BACKLOG} at once (CPU ${(cpuMs / count).toFixed(2)} ms/msg)`,
    rate: count / seconds,
    unit: "msg/s",
    count,
  };
}
