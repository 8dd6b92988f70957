/**
 * The bridge: the Matrix application service, its bot and commands, users and their logins,
 * portals, ghosts and the relay between Signal and Matrix.
 */
// Must stay the first import: it makes matrix-appservice-bridge loadable without native crypto.
import "./native-matrix-crypto.js";

export {
  startBridge,
  UnsupportedConfigError,
  type BridgeOptions,
  type RunningBridge,
} from "./start-bridge.js";
export { MatrixCryptoUnavailableError } from "./native-matrix-crypto.js";
