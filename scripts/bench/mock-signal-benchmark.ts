// A contact's texts through the mock Signal server (in this process) to a linked client with a
// real store: the mock encrypts and delivers, the client decrypts, buffers, acknowledges and
// emits the message, and each message is marked handled as the bridge does after bridging it.
import { introduce, linkToPhone, startConnectedClient } from "../../test/support/linked-signal-client.js";
import { startMockSignalServer } from "../../test/support/mock-signal-server.js";
import { openTestStore } from "../../test/support/signal-test-store.js";
import { measureLatency, type Figure } from "./measure.js";

const RUN = { warmupOps: 20, durationMs: 5000 };
const MESSAGE_TIMEOUT_MS = 10_000;

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
      return [figure];
    } finally {
      await client.stop();
    }
  } finally {
    await testStore.close();
    await mock.close();
  }
}
