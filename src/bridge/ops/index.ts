/**
 * Operating the bridge: the state of each login (reported to a status endpoint and as notices),
 * the provisioning API for integrations, and the web login page.
 */
export { type BridgeState, type BridgeStateEvent } from "./bridge-state.js";
export { BridgeStates, postStateTo, type StatusNotices } from "./bridge-states.js";
export { ProvisioningAuth } from "./provisioning-auth.js";
export { serveProvisioning, type ProvisioningApiDeps } from "./provisioning-api.js";
export { ProvisioningLogins } from "./provisioning-logins.js";
export { WebLogin } from "./web-login.js";
