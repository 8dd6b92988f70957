// Where the Signal service is. Plain data so that configuration can be mapped onto it directly.

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

/** The real Signal service; libsignal knows its chat hosts and certificates. */
export interface ProductionEnvironment extends EnvironmentCommon {
  kind: "production";
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

// Public values from Signal Desktop's production configuration.
export const PRODUCTION_ENVIRONMENT: ProductionEnvironment = Object.freeze({
  kind: "production",
  serverTrustRoots: [
    "BXu6QIKVz5MA8gstzfOgRQGqyLqOwNKHL6INkv3IHWMF",
    "BUkY0I+9+oPgDCn4+Ac6Iu813yvqkDr/ga8DzLxFxuk6",
  ],
  serverPublicParams:
    "AMhf5ywVwITZMsff/eCyudZx9JDmkkkbV6PInzG4p8x3VqVJSFiMvnvlEKWuRob/1eaIetR31IYeAbm0NdOuHH8Qi+Rexi1wLlpzIo1gstHWBfZzy1+qHRV5A4TqPp15YzBPm0WSggW6PbSn+F4lf57VCnHF7p8SvzAA2ZZJPYJURt8X7bbg+H3i+PEjH9DXItNEqs2sNcug37xZQDLm7X36nOoGPs54XsEGzPdEV+itQNGUFEjY6X9Uv+Acuks7NpyGvCoKxGwgKgE5XyJ+nNKlyHHOLb6N1NuHyBrZrgtY/JYJHRooo5CEqYKBqdFnmbTVGEkCvJKxLnjwKWf+fEPoWeQFj5ObDjcKMZf2Jm2Ae69x+ikU5gBXsRmoF94GXTLfN0/vLt98KDPnxwAQL9j5V1jGOY8jQl6MLxEs56cwXN0dqCnImzVH3TZT1cJ8SW1BRX6qIVxEzjsSGx3yxF3suAilPMqGRp4ffyopjMD1JXiKR2RwLKzizUe5e8XyGOy9fplzhw3jVzTRyUZTRSZKkMLWcQ/gv0E4aONNqs4P+NameAZYOD12qRkxosQQP5uux6B2nRyZ7sAV54DgFyLiRcq1FvwKw2EPQdk4HDoePrO/RNUbyNddnM/mMgj4FW65xCoT1LmjrIjsv/Ggdlx46ueczhMgtBunx1/w8k8V+l8LVZ8gAT6wkU5J+DPQalQguMg12Jzug3q4TbdHiGCmD9EunCwOmsLuLJkz6EcSYXtrlDEnAM+hicw7iergYLLlMXpfTdGxJCWJmP4zqUFeTTmsmhsjGBt7NiEB/9pFFEB3pSbf4iiUukw63Eo8Aqnf4iwob6X1QviCWuc8t0LUlT9vALgh/f2DPVOOmR0RW6bgRvc7DSF20V/omg+YBw==",
  genericServerPublicParams:
    "AByD873dTilmOSG0TjKrvpeaKEsUmIO8Vx9BeMmftwUs9v7ikPwM8P3OHyT0+X3EUMZrSe9VUp26Wai51Q9I8mdk0hX/yo7CeFGJyzoOqn8e/i4Ygbn5HoAyXJx5eXfIbqpc0bIxzju4H/HOQeOpt6h742qii5u/cbwOhFZCsMIbElZTaeU+BWMBQiZHIGHT5IE0qCordQKZ5iPZom0HeFa8Yq0ShuEyAl0WINBiY6xE3H/9WnvzXBbMuuk//eRxXgzO8ieCeK8FwQNxbfXqZm6Ro1cMhCOF3u7xoX83QhpN",
  backupServerPublicParams:
    "AJwNSU55fsFCbgaxGRD11wO1juAs8Yr5GF8FPlGzzvdJJIKH5/4CC7ZJSOe3yL2vturVaRU2Cx0n751Vt8wkj1bozK3CBV1UokxV09GWf+hdVImLGjXGYLLhnI1J2TWEe7iWHyb553EEnRb5oxr9n3lUbNAJuRmFM7hrr0Al0F0wrDD4S8lo2mGaXe0MJCOM166F8oYRQqpFeEHfiLnxA1O8ZLh7vMdv4g9jI5phpRBTsJ5IjiJrWeP0zdIGHEssUeprDZ9OUJ14m0v61eYJMKsf59Bn+mAT2a7YfB+Don9O",
  storageUrl: "https://storage.signal.org",
  groupsUrl: "https://storage.signal.org",
  cdnUrls: { 0: "https://cdn.signal.org", 2: "https://cdn2.signal.org", 3: "https://cdn3.signal.org" },
});

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
