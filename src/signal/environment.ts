// Where the Signal service is. Plain data so that configuration can be mapped onto it directly.
// The values of the real service are in production-environment.ts.

/** Values shared by every environment. Keys and params are base64 as Signal publishes them. */
interface EnvironmentCommon {
  /** Sealed-sender trust roots (serialized EC public keys); a certificate signed by any of them is accepted. */
  serverTrustRoots: readonly string[];
  /** zkgroup `ServerPublicParams` (groups, profile key credentials). */
  serverPublicParams: string;
  /** zkgroup `GenericServerPublicParams` (call links). */
  genericServerPublicParams: string;
  /** zkgroup `GenericServerPublicParams` of the backup service. */
  backupServerPublicParams: string;
  /** Base URL of the storage service. */
  storageUrl: string;
  /** Base URL of the groups v2 service. */
  groupsUrl: string;
  /** Base URL of each CDN by its number. */
  cdnUrls: Readonly<Record<number, string>>;
}

/**
 * The real Signal service. libsignal knows its chat and CDSI hosts and their certificates; the
 * plain HTTPS hosts (storage, groups, CDNs) are reached with Node's TLS and the CAs named here.
 */
export interface ProductionEnvironment extends EnvironmentCommon {
  kind: "production";
  /**
   * PEMs of CAs trusted for plain HTTPS in addition to Node's default roots: Signal's own root,
   * which signs the storage, groups and CDN certificates. A field so that a test can put its own.
   */
  extraCaCertificatesPem: readonly string[];
}

/** A local server speaking the Signal protocol (the mock server in tests). Chat runs on 127.0.0.1. */
export interface LocalTestEnvironment extends EnvironmentCommon {
  kind: "local-test";
  /** TCP port of the chat service on 127.0.0.1. */
  chatPort: number;
  /** PEM of the CA that signed the server's TLS certificate; used for chat and plain HTTPS alike. */
  caCertificatePem: string;
}

export type SignalEnvironment = ProductionEnvironment | LocalTestEnvironment;

/** What a local test server publishes about itself. */
export interface LocalTestServerParams {
  port: number;
  caCertificatePem: string;
  serverTrustRoots: readonly string[];
  serverPublicParams: string;
  genericServerPublicParams: string;
  backupServerPublicParams: string;
}

/** The environment of a server that serves chat, storage, groups and CDNs from one origin (like the mock server). */
export function localTestEnvironment(params: LocalTestServerParams): LocalTestEnvironment {
  const origin = `https://127.0.0.1:${params.port}`;
  return {
    kind: "local-test",
    chatPort: params.port,
    caCertificatePem: params.caCertificatePem,
    serverTrustRoots: [...params.serverTrustRoots],
    serverPublicParams: params.serverPublicParams,
    genericServerPublicParams: params.genericServerPublicParams,
    backupServerPublicParams: params.backupServerPublicParams,
    storageUrl: `${origin}/storageService`,
    groupsUrl: `${origin}/storageService`,
    cdnUrls: { 0: origin, 2: origin, 3: `${origin}/cdn3` },
  };
}
