// Links a SignalClient to a simulated phone on the mock server and collects its events.
import type { Device, PrimaryDevice } from "@signalapp/mock-server";
import {
  linkDevice,
  SignalClient,
  type SignalEvent,
  type SignalEventOf,
  type SignalEventType,
} from "../../src/signal/index.js";
import type { SignalStorage } from "../../src/signal/storage.js";
import type { MockSignalServer } from "./mock-signal-server.js";
import type { TestStore } from "./signal-test-store.js";
import { withTimeout } from "./wait.js";

/**
 * The phone scans a link URL: the mock completes the provisioning the device started and returns
 * its view of the new device once the device has registered and uploaded its keys.
 */
export async function scanLinkUrl(
  mock: MockSignalServer,
  phone: PrimaryDevice,
  linkUrl: Promise<string>,
): Promise<Device> {
  const pending = await withTimeout(
    mock.server.waitForProvision(),
    30_000,
    "the device to ask for provisioning",
  );
  const device = await withTimeout(
    pending.complete({ provisionURL: await linkUrl, primaryDevice: phone }),
    30_000,
    "the mock server to register the linked device",
  );
  // The mock tracks a linking device's first key uploads under one entry per service id but
  // removes only the last one, so a later refill of the other kind would fail its duplicate check.
  (
    mock.server as unknown as { provisionResultQueueByKey: Map<string, unknown> }
  ).provisionResultQueueByKey.clear();
  return device;
}

/**
 * The setting most Signal tests start from: a phone with a friend among its contacts, and
 * `@alice:localhost`'s storage in `testStore` linked to the phone.
 */
export async function linkPhoneWithFriend(
  mock: MockSignalServer,
  testStore: TestStore,
): Promise<{ friend: PrimaryDevice; phone: PrimaryDevice; storage: SignalStorage; device: Device }> {
  const friend = await mock.server.createPrimaryDevice({ profileName: "Friend" });
  const phone = await mock.server.createPrimaryDevice({ profileName: "Phone Owner", contacts: [friend] });
  const storage = await testStore.store.signalStorage("@alice:localhost");
  const device = await linkToPhone(mock, storage, phone);
  return { friend, phone, storage, device };
}

/** Links `storage` to `phone` and returns the mock's view of the new device. */
export async function linkToPhone(
  mock: MockSignalServer,
  storage: SignalStorage,
  phone: PrimaryDevice,
): Promise<Device> {
  let resolveUrl!: (url: string) => void;
  const firstUrl = new Promise<string>((resolve) => {
    resolveUrl = resolve;
  });
  const scanned = scanLinkUrl(mock, phone, firstUrl);
  await withTimeout(
    linkDevice({
      environment: mock.environment,
      storage,
      deviceName: "Matrix bridge",
      onLinkUrl: resolveUrl,
    }),
    30_000,
    "linking to finish",
  );
  return scanned;
}

/** Gives `contact` a one-time key of `device`, as a real contact would fetch one from the server. */
export async function introduce(contact: PrimaryDevice, device: Device): Promise<void> {
  await contact.addSingleUseKey(device, await device.popSingleUseKey());
}

/** Records every event of a client and lets a test wait for one. */
export class EventLog {
  readonly events: SignalEvent[] = [];
  private readonly waiters: Array<() => void> = [];

  constructor(client: SignalClient) {
    const types: SignalEventType[] = [
      "message",
      "edit",
      "reaction",
      "delete",
      "sync-sent",
      "sync-read",
      "contacts-sync",
      "receipt",
      "typing",
      "decryption-error",
      "identity-change",
      "queue-empty",
      "connection-state",
      "logged-out",
      "client-error",
    ];
    for (const type of types) {
      client.on(type, (event) => {
        this.events.push(event);
        for (const wake of this.waiters.splice(0)) wake();
      });
    }
  }

  of<T extends SignalEventType>(type: T): Array<SignalEventOf<T>> {
    return this.events.filter((event): event is SignalEventOf<T> => event.type === type);
  }

  /** Waits until an event of `type` matching `predicate` has arrived; returns it. */
  async waitFor<T extends SignalEventType>(
    type: T,
    predicate: (event: SignalEventOf<T>) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<SignalEventOf<T>> {
    return withTimeout(
      (async () => {
        for (;;) {
          const found = this.of(type).find(predicate);
          if (found) return found;
          await new Promise<void>((resolve) => this.waiters.push(resolve));
        }
      })(),
      timeoutMs,
      what,
    );
  }
}

/** Opens the client of a linked account, records its events and waits until it is connected. */
export async function startConnectedClient(
  mock: MockSignalServer,
  storage: SignalStorage,
  what = "the client to connect",
): Promise<{ client: SignalClient; log: EventLog }> {
  const client = await SignalClient.open({ environment: mock.environment, storage });
  const log = new EventLog(client);
  await client.start();
  await log.waitFor("connection-state", (e) => e.state === "connected", what);
  return { client, log };
}
