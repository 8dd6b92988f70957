// Builds libsignal's `Net` (chat, provisioning and contact discovery transport) for an environment.
import { X509Certificate } from "node:crypto";
import { Environment, Net } from "@signalapp/libsignal-client/dist/net.js";
import type { SignalEnvironment } from "./environment.js";

export const DEFAULT_USER_AGENT = "Signal-Matrix-Bridge";

// libsignal's local-test mode wants ports for CDSI and SVR; the mock server has neither (SVR is
// not used at all, and a phone-number lookup against a local server fails to connect).
const UNUSED_LOCAL_PORT = 9;

// One Net per environment for the whole process: each Net runs its own Tokio runtime (two
// threads here) and connection machinery, and a Net is only a factory for connections, so the
// logins of a bridge share one rather than each starting another (500 logins: 1000 threads).
const shared = new Map<string, Net>();

/** The process's Net for `environment` (created on first use). */
export function createNet(environment: SignalEnvironment, userAgent: string = DEFAULT_USER_AGENT): Net {
  const key = JSON.stringify(
    environment.kind === "production"
      ? [userAgent]
      : [userAgent, environment.chatPort, environment.caCertificatePem],
  );
  let net = shared.get(key);
  if (net === undefined) {
    net = newNet(environment, userAgent);
    shared.set(key, net);
  }
  return net;
}

function newNet(environment: SignalEnvironment, userAgent: string): Net {
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
