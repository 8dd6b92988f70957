// The matrix-bot-sdk instance matrix-appservice-bridge uses (not whichever copy this package would
// resolve), for the process-wide settings made on it: where its log lines go, how it makes requests.
import { createRequire } from "node:module";

export function botSdkModule<T>(): T {
  const bridgeLibrary = createRequire(import.meta.url).resolve("matrix-appservice-bridge");
  return createRequire(bridgeLibrary)("@vector-im/matrix-bot-sdk") as T;
}
