/**
 * Everything an e2e test of the bridge talks to: the mock Signal server with a phone (Alice's
 * Signal account) and a contact, a Synapse, the bridge process configured for both, and Alice
 * on Matrix with her management room. `linkAlice` logs her in through the bot as a user would.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { type BridgeProcess, prepareBridge } from "./bridge-process.js";
import { introduce, scanLinkUrl } from "./linked-signal-client.js";
import { type MatrixUser, startMatrixUser } from "./matrix-user.js";
import { type MockSignalServer, startMockSignalServer } from "./mock-signal-server.js";
import { type Synapse, startSynapse } from "./synapse.js";
import { freePort } from "./wait.js";

export interface BridgeWorld {
  mock: MockSignalServer;
  synapse: Synapse;
  bridge: BridgeProcess;
  alice: MatrixUser;
  /** Alice's Signal phone. */
  phone: PrimaryDevice;
  /** A Signal contact of Alice. */
  friend: PrimaryDevice;
  managementRoom: string;
  /** Stops and removes whatever was started, also after a failed start. */
  stop(): Promise<void>;
}

/** Matches a timeline event by sender, body pattern and, if given, msgtype. */
export const fromUser = (sender: string, pattern: RegExp, msgtype?: string) => (event: MatrixEvent) =>
  event.getSender() === sender &&
  (msgtype === undefined || event.getContent()["msgtype"] === msgtype) &&
  pattern.test(String(event.getContent()["body"] ?? ""));

/** The Matrix ghost of a mock Signal account. */
export function ghostOf(primary: PrimaryDevice): string {
  return `@signal_${primary.device.aci.toLowerCase()}:localhost`;
}

/** Runs `body`; a failure carries the end of the bridge's log, which usually says why. */
export async function withBridgeLog(bridge: BridgeProcess, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const log = bridge.output().split("\n").slice(-40).join("\n");
    throw new Error(`${(error as Error).message}\n--- bridge log (last lines) ---\n${log}`, { cause: error });
  }
}

/** Starts the peers and the bridge; `extraConfig` sections are merged over the test defaults. */
export async function startBridgeWorld(extraConfig: Record<string, unknown> = {}): Promise<BridgeWorld> {
  const started: Partial<BridgeWorld> = {};
  const stop = async () => {
    started.alice?.stop();
    await started.bridge?.cleanup();
    await started.synapse?.stop();
    await started.mock?.close();
  };
  try {
    const mock = (started.mock = await startMockSignalServer());
    const friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
    const phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
    const synapsePort = await freePort();
    const bridge = (started.bridge = await prepareBridge({
      homeserverUrl: `http://127.0.0.1:${synapsePort}`,
      serverName: "localhost",
      permissions: { localhost: "user" },
      extraConfig: {
        signal: {
          environment: "local",
          device_name: "Matrix bridge",
          local: {
            port: mock.port,
            ca_file: "signal-ca.pem",
            trust_root: mock.trustRoot,
            server_public_params: mock.serverPublicParams,
            generic_server_public_params: mock.genericServerPublicParams,
            backup_server_public_params: mock.backupServerPublicParams,
          },
        },
        ...extraConfig,
      },
    }));
    await writeFile(join(bridge.dir, "signal-ca.pem"), mock.caCertPem);
    const synapse = (started.synapse = await startSynapse({
      port: synapsePort,
      appserviceFiles: [bridge.registrationFile],
    }));
    await bridge.start();
    const alice = (started.alice = await startMatrixUser(synapse.url, await synapse.registerUser("alice")));
    const managementRoom = await alice.createDirectRoom(bridge.botUserId);
    await alice.waitForMembership(managementRoom, bridge.botUserId, "join");
    return { mock, synapse, bridge, alice, phone, friend, managementRoom, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Alice sends `login`, her phone scans the QR code the bot shows, and the bot confirms; the
 * phone and the contact then have keys of the new device. Returns the mock's view of it.
 */
export async function linkAlice(world: BridgeWorld): Promise<Device> {
  const { alice, bridge, mock, phone, friend, managementRoom } = world;
  await alice.sendText(managementRoom, "login");
  const qr = await alice.waitForEvent(
    managementRoom,
    fromUser(bridge.botUserId, /^sgnl:\/\/linkdevice\?uuid=/, "m.image"),
    "the QR code image",
  );
  const device = await scanLinkUrl(mock, phone, Promise.resolve(String(qr.getContent()["body"])));
  await alice.waitForEvent(
    managementRoom,
    fromUser(bridge.botUserId, new RegExp(`Logged in as \\${phone.device.number ?? "(no number)"}`)),
    "the success notice",
  );
  await introduce(phone, device);
  await introduce(friend, device);
  return device;
}
