/**
 * The cast of most chat tests: the mock Signal server with a contact ("Friend Contact") and
 * Alice's phone, which has the contact in its list, plus Synapse and the bridge against them.
 */
import type { PrimaryDevice } from "@signalapp/mock-server";
import { type BridgeWithSignal, startBridgeWithSignal } from "./bridge-with-signal.js";
import { type MockSignalServer, startMockSignalServer } from "./mock-signal-server.js";

export interface PhoneAndContact {
  mock: MockSignalServer;
  world: BridgeWithSignal;
  phone: PrimaryDevice;
  friend: PrimaryDevice;
  /** Stops the bridge, Synapse and the mock server. */
  stop(): Promise<void>;
}

export async function startPhoneAndContact(
  extraConfig: Record<string, unknown> = {},
): Promise<PhoneAndContact> {
  const mock = await startMockSignalServer();
  try {
    const friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
    const phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
    const world = await startBridgeWithSignal(mock, extraConfig);
    return {
      mock,
      world,
      phone,
      friend,
      async stop() {
        await world.stop();
        await mock.close();
      },
    };
  } catch (error) {
    await mock.close();
    throw error;
  }
}
