// Operating the bridge: metrics and health endpoints.
export { Operations, type OperationsOptions } from "./operations.js";
