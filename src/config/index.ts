/**
 * Configuration: one schema (src/config/schema.ts) from which validation, the sample file and
 * the reference documentation are derived.
 */
export { configSchema, permissionLevels, type BridgeConfig, type PermissionLevel } from "./schema.js";
export { ConfigError, loadConfig, validateConfig } from "./load.js";
export { renderConfigDocs, renderSampleConfig } from "./render.js";
export { generateRegistration, ghostUserRegex, type Registration } from "./registration.js";
