/**
 * Operating the bridge: the state of each login (reported to a status endpoint and as notices),
 * the provisioning API for integrations, the web login page, metrics and health endpoints.
 */
export { type BridgeState, type BridgeStateEvent } from "./bridge-state.js";
export { BridgeStates, type StatusNotices } from "./bridge-states.js";
export { bridgeStates, createOps, type Ops, type OpsDeps, type TellUser } from "./ops.js";
export { Monitoring, type MonitoringOptions } from "./monitoring.js";
