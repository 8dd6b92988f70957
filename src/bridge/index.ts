/**
 * The bridge: the Matrix application service, its bot and commands, users and their logins,
 * portals, ghosts and the relay between Signal and Matrix.
 */
// Must stay the first imports: they make matrix-appservice-bridge loadable without native crypto,
// and keep the libraries it loads for features the bridge does not use from loading until used.
import "./native-matrix-crypto.js";
import "./lazy-libraries.js";

export {
  startBridge,
  UnsupportedConfigError,
  type BridgeOptions,
  type RunningBridge,
} from "./start-bridge.js";
export { MatrixCryptoUnavailableError } from "./native-matrix-crypto.js";
