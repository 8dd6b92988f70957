import { readFileSync } from "node:fs";
import type { BridgeConfig } from "../config/index.js";
import { localTestEnvironment, PRODUCTION_ENVIRONMENT, type SignalEnvironment } from "../signal/index.js";

/** Where the configured Signal service is. Config validation guarantees the local keys exist. */
export function signalEnvironmentFrom(config: BridgeConfig): SignalEnvironment {
  if (config.signal.environment === "production") return PRODUCTION_ENVIRONMENT;
  const local = config.signal.local;
  const required = <T>(value: T | undefined, key: string): T => {
    if (value === undefined)
      throw new Error(`signal.local.${key} is required when signal.environment is local`);
    return value;
  };
  return localTestEnvironment({
    port: required(local.port, "port"),
    caCertificatePem: readFileSync(required(local.ca_file, "ca_file"), "utf8"),
    serverTrustRoots: [required(local.trust_root, "trust_root")],
    serverPublicParams: required(local.server_public_params, "server_public_params"),
    genericServerPublicParams: required(local.generic_server_public_params, "generic_server_public_params"),
    backupServerPublicParams: required(local.backup_server_public_params, "backup_server_public_params"),
  });
}
