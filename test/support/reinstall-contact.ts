// A contact reinstalls Signal: same account, new identity key. The mock server has no API for
// this (only a number change, which replaces the PNI identity), so this does for the ACI
// identity what the mock's own prepareChangeNumber does for the PNI one.
import { type PrimaryDevice, ServiceIdKind } from "@signalapp/mock-server";

/** The mock's libsignal objects, used through their own instances (the mock bundles its own libsignal). */
interface MockPrivateKey {
  getPublicKey(): unknown;
}

interface PrimaryDeviceInternals {
  privateKey: MockPrivateKey;
  publicKey: unknown;
  identity: Map<
    ServiceIdKind,
    {
      updateIdentityKey(key: MockPrivateKey): Promise<void>;
      saveIdentity(address: unknown, key: unknown): Promise<unknown>;
    }
  >;
  sessions: { sessions: Map<string, unknown> };
  generateKeys(device: PrimaryDevice["device"], kind: ServiceIdKind): Promise<never>;
}

/**
 * Gives `contact` a new ACI identity key, publishes new pre-keys signed with it, and forgets its
 * sessions, as a fresh install would. Its next message to anyone starts a new session, and the
 * recipient sees a changed identity (safety number).
 */
export async function reinstallSignal(contact: PrimaryDevice): Promise<void> {
  const internals = contact as unknown as PrimaryDeviceInternals;
  const PrivateKey = internals.privateKey.constructor as unknown as { generate(): MockPrivateKey };
  const privateKey = PrivateKey.generate();
  internals.privateKey = privateKey;
  internals.publicKey = privateKey.getPublicKey();
  const identity = internals.identity.get(ServiceIdKind.ACI);
  if (!identity) throw new Error("the mock contact has no ACI identity store");
  await identity.updateIdentityKey(privateKey);
  await identity.saveIdentity(contact.device.address, internals.publicKey);
  internals.sessions.sessions.clear();
  await contact.device.setKeys(
    ServiceIdKind.ACI,
    await internals.generateKeys(contact.device, ServiceIdKind.ACI),
  );
}
