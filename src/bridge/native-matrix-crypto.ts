/**
 * matrix-bot-sdk requires `@matrix-org/matrix-sdk-crypto-nodejs` when it loads, but that package
 * fetches its native library from outside the npm registry at install time, so it is often
 * missing. The bridge never uses it (its end-to-bridge encryption runs on the WebAssembly build,
 * bridge/crypto/), so this module must be imported before matrix-appservice-bridge: when the
 * library cannot load, it puts a stand-in into the CommonJS cache that fails with a clear message
 * if anything touches it.
 */
import { createRequire, Module } from "node:module";

const cryptoPackage = "@matrix-org/matrix-sdk-crypto-nodejs";

export class MatrixCryptoUnavailableError extends Error {
  constructor(cause: string) {
    super(
      `matrix-bot-sdk's own crypto needs the native library ${cryptoPackage}, which could not be loaded (${cause}); ` +
        "the bridge does not use it, so this is a bug: please report it.",
    );
    this.name = "MatrixCryptoUnavailableError";
  }
}

function loadOrStandIn(): string | undefined {
  const botSdkRequire = createRequire(createRequire(import.meta.url).resolve("@vector-im/matrix-bot-sdk"));
  let resolved: string;
  try {
    resolved = botSdkRequire.resolve(cryptoPackage);
  } catch (error) {
    return (error as Error).message.split("\n")[0];
  }
  try {
    botSdkRequire(resolved);
    return undefined;
  } catch (error) {
    const cause = (error as Error).message.split("\n")[0] ?? "unknown error";
    const standIn = new Module(resolved);
    standIn.filename = resolved;
    standIn.loaded = true;
    standIn.exports = new Proxy(
      {},
      {
        get(_target, property) {
          throw new MatrixCryptoUnavailableError(`${cause}; tried to use ${String(property)}`);
        },
      },
    );
    botSdkRequire.cache[resolved] = standIn;
    return cause;
  }
}

/** Why native Matrix crypto is unavailable, or undefined when it loaded. */
export const matrixCryptoUnavailableReason: string | undefined = loadOrStandIn();
