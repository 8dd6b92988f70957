/**
 * The setting of tests about one direct chat: Alice linked through the bot to her phone on the
 * mock server, and the direct portal with a contact, opened by the contact's first message.
 */
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import {
  type BridgeWithSignal,
  fromUser,
  ghostOf,
  loginThroughBot,
  startBridgeWithSignal,
} from "./bridge-with-signal.js";
import { introduce } from "./linked-signal-client.js";
import { type MockSignalServer, startMockSignalServer } from "./mock-signal-server.js";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy.js";

export interface LinkedDirectChat {
  mock: MockSignalServer;
  setting: BridgeWithSignal;
  /** Alice's phone. */
  phone: PrimaryDevice;
  /** A contact of Alice's, "Friend Contact". */
  friend: PrimaryDevice;
  /** The bridge's linked device. */
  device: Device;
  /** Alice's direct portal with the friend. */
  directRoom: string;
  /** The proxy between the bridge and the mock server, when asked for. */
  proxy: TcpProxy | undefined;
  /** Stops everything this started. */
  stop(): Promise<void>;
}

/**
 * Starts the setting; with `signalProxy` the bridge reaches the mock server (chat, storage,
 * groups and CDN alike) only through a TCP proxy the test can slow down or cut; with
 * `appserviceTap` Synapse pushes to the bridge through a relay that notes each transaction;
 * `extraConfig` as for `startBridgeWithSignal`.
 */
export async function startLinkedDirectChat(
  options: { signalProxy?: boolean; appserviceTap?: boolean; extraConfig?: Record<string, unknown> } = {},
): Promise<LinkedDirectChat> {
  const mock = await startMockSignalServer();
  let setting: BridgeWithSignal | undefined;
  let proxy: TcpProxy | undefined;
  const stop = async () => {
    await setting?.stop();
    await proxy?.close();
    await mock.close();
  };
  try {
    if (options.signalProxy) proxy = await startTcpProxy(mock.port);
    const friend = await mock.server.createPrimaryDevice({ profileName: "Friend Contact" });
    const phone = await mock.server.createPrimaryDevice({ profileName: "Alice Phone", contacts: [friend] });
    setting = await startBridgeWithSignal(mock, options.extraConfig ?? {}, {
      signalPort: proxy?.port ?? mock.port,
      appserviceTap: options.appserviceTap ?? false,
    });
    const device = await loginThroughBot(setting, mock, phone);
    await introduce(phone, device);
    await introduce(friend, device);
    await friend.sendText(device, "Hello from Signal", { withProfileKey: true });
    const directRoom = await setting.alice.acceptNextInvite("the direct portal with Friend");
    await setting.alice.waitForEvent(
      directRoom,
      fromUser(ghostOf(friend), /^Hello from Signal$/),
      "the contact's first message",
    );
    return { mock, setting, phone, friend, device, directRoom, proxy, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
