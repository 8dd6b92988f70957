// Builds libsignal's `Net` (chat and provisioning transport) for an environment.
import { X509Certificate } from "node:crypto";
import { Environment, Net } from "@signalapp/libsignal-client/dist/net.js";
import type { SignalEnvironment } from "./environment.js";

export const DEFAULT_USER_AGENT = "Signal-Matrix-Bridge";

// CDSI and SVR are not used by this client, but libsignal's local-test mode wants ports for them.
const UNUSED_LOCAL_PORT = 9;

export function createNet(environment: SignalEnvironment, userAgent: string = DEFAULT_USER_AGENT): Net {
  if (environment.kind === "production") {
    return new Net({ env: Environment.Production, userAgent });
  }
  return new Net({
    localTestServer: true,
    userAgent,
    TESTING_localServer_chatPort: environment.chatPort,
    TESTING_localServer_cdsiPort: UNUSED_LOCAL_PORT,
    TESTING_localServer_svr2Port: UNUSED_LOCAL_PORT,
    TESTING_localServer_svrBPort: UNUSED_LOCAL_PORT,
    TESTING_localServer_rootCertificateDer: new Uint8Array(
      new X509Certificate(environment.caCertificatePem).raw,
    ),
    // The mock server speaks websockets only over HTTP/2 (RFC 8441); the real service accepts both.
    TESTING_localServer_httpVersion: 2,
  });
}
