/**
 * The e2e setting most tests share: a real Synapse, the bridge process configured for the mock
 * Signal server, a Matrix user with a management room, and linking through the bot the way a
 * user would (send login, scan the QR code with the phone).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import type { MatrixEvent } from "matrix-js-sdk";
import { parse, stringify } from "yaml";
import { type AppserviceTap, startAppserviceTap } from "./appservice-tap.js";
import { type BridgeProcess, prepareBridge } from "./bridge-process.js";
import { scanLinkUrl } from "./linked-signal-client.js";
import { type MatrixUser, startMatrixUser } from "./matrix-user.js";
import type { MockSignalServer } from "./mock-signal-server.js";
import { type MatrixCredentials, type Synapse, startSynapse } from "./synapse.js";
import { freePort } from "./wait.js";

export interface BridgeWithSignal {
  synapse: Synapse;
  bridge: BridgeProcess;
  /** `@alice:localhost`, permitted to use the bridge. */
  alice: MatrixUser;
  /** Alice's login (a second device logs in with it). */
  aliceCredentials: MatrixCredentials;
  /** Alice's DM with the bot. */
  managementRoom: string;
  /** The relay between Synapse and the bridge, when asked for. */
  tap: AppserviceTap | undefined;
  /** Stops everything this started (not the mock server). */
  stop(): Promise<void>;
}

/** A matcher for the events of `sender` whose body matches `pattern` (and of `msgtype`, if given). */
export const fromUser = (sender: string, pattern: RegExp, msgtype?: string) => (event: MatrixEvent) =>
  event.getSender() === sender &&
  (msgtype === undefined || event.getContent()["msgtype"] === msgtype) &&
  pattern.test(String(event.getContent()["body"] ?? ""));

/**
 * Starts Synapse and the bridge against `mock`, and gives Alice a management room;
 * `extraConfig` sections (e.g. `media`) are merged key by key into the test defaults' sections,
 * and keys of a `signal` section over those of the default one. `signalPort` points the bridge at
 * another port than the mock's own (a proxy in front of it); with `appserviceTap` Synapse pushes
 * to the bridge through a relay that notes each transaction.
 */
export async function startBridgeWithSignal(
  mock: MockSignalServer,
  extraConfig: Record<string, unknown> = {},
  {
    publicAddress = false,
    encrypted = false,
    extraAppserviceFiles = [],
    signalPort = mock.port,
    appserviceTap = false,
  }: {
    publicAddress?: boolean;
    encrypted?: boolean;
    extraAppserviceFiles?: string[];
    signalPort?: number;
    appserviceTap?: boolean;
  } = {},
): Promise<BridgeWithSignal> {
  const { signal: extraSignal, ...otherConfig } = extraConfig;
  const synapsePort = await freePort();
  const bridge = await prepareBridge({
    homeserverUrl: `http://127.0.0.1:${synapsePort}`,
    serverName: "localhost",
    permissions: { localhost: "user" },
    publicAddress,
    extraConfig: {
      signal: {
        environment: "local",
        device_name: "Matrix bridge",
        local: {
          port: signalPort,
          ca_file: "signal-ca.pem",
          trust_root: mock.trustRoot,
          server_public_params: mock.serverPublicParams,
          generic_server_public_params: mock.genericServerPublicParams,
          backup_server_public_params: mock.backupServerPublicParams,
        },
        ...(extraSignal as Record<string, unknown> | undefined),
      },
      ...otherConfig,
    },
  });
  let synapse: Synapse | undefined;
  let alice: MatrixUser | undefined;
  let tap: AppserviceTap | undefined;
  const stop = async () => {
    alice?.stop();
    await bridge.cleanup();
    await synapse?.stop();
    await tap?.close();
  };
  try {
    await writeFile(join(bridge.dir, "signal-ca.pem"), mock.caCertPem);
    let registrationFile = bridge.registrationFile;
    if (appserviceTap) {
      tap = await startAppserviceTap(bridge.appserviceUrl);
      const registration = parse(await readFile(bridge.registrationFile, "utf8")) as Record<string, unknown>;
      registrationFile = join(bridge.dir, "registration-through-tap.yaml");
      await writeFile(registrationFile, stringify({ ...registration, url: tap.url }));
    }
    synapse = await startSynapse({
      port: synapsePort,
      appserviceFiles: [registrationFile, ...extraAppserviceFiles],
    });
    await bridge.start();
    const started = await startBridgeUser(synapse, bridge, "alice", { encrypted });
    alice = started.user;
    return {
      synapse,
      bridge,
      alice,
      aliceCredentials: started.credentials,
      managementRoom: started.managementRoom,
      tap,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A new Matrix user with a management room (a DM the bot joined); stop the user when done. With
 * `encrypted`, the user's client encrypts and the DM is an encrypted room.
 */
export async function startBridgeUser(
  synapse: Synapse,
  bridge: BridgeProcess,
  localpart: string,
  { encrypted = false }: { encrypted?: boolean } = {},
): Promise<{ user: MatrixUser; managementRoom: string; credentials: MatrixCredentials }> {
  const credentials = await synapse.registerUser(localpart);
  const user = await startMatrixUser(synapse.url, credentials, { encryption: encrypted });
  try {
    const managementRoom = await user.createDirectRoom(bridge.botUserId, { encrypted });
    await user.waitForMembership(managementRoom, bridge.botUserId, "join");
    return { user, managementRoom, credentials };
  } catch (error) {
    user.stop();
    throw error;
  }
}

/**
 * Alice (or `user` in their `managementRoom`) sends login, the phone scans the QR code, the bot
 * confirms; returns the linked device.
 */
export async function loginThroughBot(
  setting: BridgeWithSignal,
  mock: MockSignalServer,
  phone: PrimaryDevice,
  user: MatrixUser = setting.alice,
  managementRoom: string = setting.managementRoom,
): Promise<Device> {
  const { bridge } = setting;
  await user.sendText(managementRoom, "login");
  const qr = await user.waitForEvent(
    managementRoom,
    fromUser(bridge.botUserId, /^sgnl:\/\/linkdevice\?uuid=/, "m.image"),
    "the QR code image",
  );
  const device = await scanLinkUrl(mock, phone, Promise.resolve(String(qr.getContent()["body"])));
  await user.waitForEvent(
    managementRoom,
    fromUser(bridge.botUserId, new RegExp(`Logged in as \\${phone.device.number ?? "(no number)"}`)),
    "the login success notice",
  );
  return device;
}

/** The ghost user that stands for a simulated Signal account (default ghost template). */
export const ghostOf = (primary: PrimaryDevice): string =>
  `@signal_${primary.device.aci.toLowerCase()}:localhost`;
