// Starts @signalapp/mock-server in this process on an ephemeral loopback port.
// The signal tier uses `environment` directly; the e2e tier writes the plain values
// (url, port, caCertPem, trustRoot, params) into the bridge's YAML config.
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { Http2SecureServer, ServerHttp2Session } from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Server, loadCertificates, type Device, type PrimaryDevice } from "@signalapp/mock-server";
import { localTestEnvironment, type LocalTestEnvironment } from "../../src/signal/environment.js";
import { waitFor } from "./wait.js";

export interface MockSignalServer {
  server: Server;
  port: number;
  /** `https://127.0.0.1:<port>`: chat, and the origin of storage, groups and CDNs. */
  url: string;
  caCertPem: string;
  caCertDer: Uint8Array<ArrayBuffer>;
  /** The sealed-sender trust root (base64 serialized public key). */
  trustRoot: string;
  serverPublicParams: string;
  genericServerPublicParams: string;
  backupServerPublicParams: string;
  /** Temporary directory the mock keeps CDN 3 uploads in. */
  cdn3Path: string;
  environment: LocalTestEnvironment;
  /** Cuts every client connection at once, as a network failure or a crash would. */
  dropConnections(): void;
  /** Removes a linked device as the phone's "unlink" does: its credentials stop working and its socket closes. */
  unlinkDevice(phone: PrimaryDevice, device: Device): Promise<void>;
  /** Drops all client connections, stops the server (bounded wait) and removes the temp dir. */
  close(): Promise<void>;
}

const CLOSE_TIMEOUT_MS = 5_000;
// What the Signal service sends when a device's credentials are revoked.
const UNLINKED_CLOSE_CODE = 4401;

/** The mock's per-device websocket, as its Server uses it. */
interface DeviceSocket {
  sendMessage(message: Buffer | "empty"): Promise<void>;
  close(code: number): void;
}

/**
 * Deliveries on each device socket that the device has not acknowledged yet. The mock fails a
 * delivery still unanswered when its socket closes, and one it had queued for an offline device
 * then rejects the sender's promise, which the phone's automatic answers (sync replies) never
 * await: an unhandled rejection. `unlinkDevice` waits for these to be answered first.
 */
function trackDeliveries(server: Server): (socket: DeviceSocket) => Set<Promise<void>> {
  const bySocket = new WeakMap<DeviceSocket, Set<Promise<void>>>();
  const pendingOn = (socket: DeviceSocket) => {
    let pending = bySocket.get(socket);
    if (!pending) {
      pending = new Set();
      bySocket.set(socket, pending);
    }
    return pending;
  };
  const mockServer = server as unknown as {
    addWebSocket(device: Device, socket: DeviceSocket): Promise<void>;
  };
  const addWebSocket = mockServer.addWebSocket.bind(server);
  mockServer.addWebSocket = (device, socket) => {
    const sendMessage = socket.sendMessage.bind(socket);
    socket.sendMessage = (message) => {
      const delivery = sendMessage(message);
      // Signal clients never answer the queue-empty marker; the mock does not wait for it either.
      if (message !== "empty") {
        const pending = pendingOn(socket);
        pending.add(delivery);
        const settled = () => void pending.delete(delivery);
        delivery.then(settled, settled);
      }
      return delivery;
    };
    return addWebSocket(device, socket);
  };
  return pendingOn;
}

export async function startMockSignalServer(): Promise<MockSignalServer> {
  const cdn3Path = await mkdtemp(join(tmpdir(), "mock-signal-cdn3-"));
  const server = new Server({ cdn3Path });
  try {
    await server.listen(0);
  } catch (error) {
    await rm(cdn3Path, { recursive: true, force: true });
    throw error;
  }
  // The mock keeps its HTTP/2 server private and its close() waits for every open session;
  // tracking sessions here lets close() end them instead of hanging on a client that lingers.
  const unacknowledged = trackDeliveries(server);
  const http2Server = (server as unknown as { https: Http2SecureServer }).https;
  const sessions = new Set<ServerHttp2Session>();
  http2Server.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const port = server.address().port;
  const certs = await loadCertificates();
  const trustRoot = certs.serverTrustRoots[0];
  if (trustRoot === undefined) throw new Error("mock server published no sealed-sender trust root");
  const caCertDer = new Uint8Array(new X509Certificate(certs.certificateAuthority).raw);

  const dropConnections = (): void => {
    for (const session of sessions) session.destroy();
  };

  // The mock's own unlink() only forgets the device on the phone's side; the server must forget
  // its credentials and close its socket (as the real service does) for the client to notice.
  // Messages already on their way are let through first (see trackDeliveries).
  const unlinkDevice = async (phone: PrimaryDevice, device: Device): Promise<void> => {
    const socket = (server as unknown as { webSockets: Map<Device, DeviceSocket> }).webSockets.get(device);
    if (socket) {
      await waitFor(() => unacknowledged(socket).size === 0, {
        timeoutMs: 10_000,
        intervalMs: 20,
        what: "the device to acknowledge the messages the mock delivered to it, before unlinking it",
      });
    }
    await phone.unlink(device);
    await server.removeDeviceByServiceId(device.aci, device.deviceId);
    socket?.close(UNLINKED_CLOSE_CODE);
  };

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    dropConnections();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    });
    try {
      await Promise.race([server.close(), timeout]);
    } finally {
      clearTimeout(timer);
      await rm(cdn3Path, { recursive: true, force: true });
    }
  };

  return {
    server,
    port,
    url: `https://127.0.0.1:${port}`,
    caCertPem: certs.certificateAuthority,
    caCertDer,
    trustRoot,
    serverPublicParams: certs.serverPublicParams,
    genericServerPublicParams: certs.genericServerPublicParams,
    backupServerPublicParams: certs.backupServerPublicParams,
    cdn3Path,
    environment: localTestEnvironment({
      port,
      caCertificatePem: certs.certificateAuthority,
      serverTrustRoots: certs.serverTrustRoots,
      serverPublicParams: certs.serverPublicParams,
      genericServerPublicParams: certs.genericServerPublicParams,
      backupServerPublicParams: certs.backupServerPublicParams,
    }),
    dropConnections,
    unlinkDevice,
    close,
  };
}
