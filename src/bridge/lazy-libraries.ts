/**
 * matrix-appservice-bridge and the matrix-bot-sdk under it load everything they have from their
 * index modules, including libraries for features this bridge never uses (their own storage
 * providers, HTML sanitising and rendering, config files and command lines, the provisioning API,
 * Prometheus metrics). Each one costs memory for as long as the process runs, loaded or not used.
 * This module must be imported before matrix-appservice-bridge: it puts a lazy stand-in for each
 * of those libraries into the CommonJS cache, which loads the real library the first time
 * anything touches it, so code that does use one (the bridge's own metrics, when enabled) works
 * as before.
 */
import { createRequire, Module } from "node:module";

/** The libraries, by the package that requires them (resolved from there, as it would). */
const rarelyUsed: Record<string, string[]> = {
  "@vector-im/matrix-bot-sdk": [
    "sanitize-html", // RichReply
    "html-to-text", // MatrixClient.sendHtmlText and friends
    "htmlencode", // MatrixClient.replyText and friends
    "lowdb", // SimpleFsStorageProvider, RustSdkCryptoStorageProvider (lodash under it)
    "lowdb/adapters/FileSync",
    "hash.js/lib/hash/sha/512", // SimpleFsStorageProvider
    "mkdirp", // SimpleFsStorageProvider, RustSdkCryptoStorageProvider
    "postgres", // SimplePostgresStorageProvider
    "chalk", // RichConsoleLogger
    "request", // its HTTP client, replaced by bridge/matrix-http-client.ts when the bridge starts
  ],
  "matrix-appservice-bridge": [
    "prom-client", // PrometheusMetrics (the bridge has its own, bridge/ops/metrics.ts)
    "js-yaml", // Cli, ConfigValidator, Bridge's registration file loading
    "nopt", // Cli
    "is-my-json-valid", // ConfigValidator
    "express-rate-limit", // its provisioning API
    "ip-cidr", // its provisioning API
    "postgres", // PostgresStore
  ],
  "matrix-appservice": ["js-yaml"], // AppServiceRegistration's YAML input and output
};

/** Keys of the interop helpers TypeScript and Babel emit: a stand-in answers them unloaded. */
const ES_MODULE_FLAG = "__esModule";

/**
 * A stand-in for a module's exports that loads it on first use. It says it is an ES module, so
 * the interop helpers of the libraries' compiled code (`__importDefault`, `__importStar`) take it
 * as it is instead of enumerating it; `default` of a CommonJS module is the module itself, as
 * those helpers would have made it. It can be called and constructed (libraries whose exports
 * are a function or a class).
 */
function lazyExports(load: () => unknown): object {
  let loaded: Record<PropertyKey, unknown> | undefined;
  const real = () => (loaded ??= load() as Record<PropertyKey, unknown>);
  const callable = () => {
    const value = real();
    if (typeof value === "function") return value as (...args: unknown[]) => unknown;
    const fallback = value[ES_MODULE_FLAG] ? value["default"] : undefined;
    if (typeof fallback === "function") return fallback as (...args: unknown[]) => unknown;
    throw new TypeError("a lazily loaded library was called, but it is not a function");
  };
  const target = function lazyLibrary() {};
  return new Proxy(target, {
    get(_target, key) {
      if (key === ES_MODULE_FLAG) return true;
      const value = real();
      if (key === "default" && !value[ES_MODULE_FLAG]) return value;
      return Reflect.get(value, key);
    },
    has: (_target, key) => key === ES_MODULE_FLAG || Reflect.has(real(), key),
    set: (_target, key, value) => Reflect.set(real(), key, value),
    apply: (_target, thisArg, args) => Reflect.apply(callable(), thisArg, args),
    construct: (_target, args) => Reflect.construct(callable(), args) as object,
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
    ownKeys: () => [...new Set([...Reflect.ownKeys(real()), "prototype"])],
    getOwnPropertyDescriptor(_target, key) {
      // The stand-in's own `prototype` cannot be reported otherwise (a Proxy invariant).
      if (key === "prototype") return Reflect.getOwnPropertyDescriptor(target, key);
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
    defineProperty: (_target, key, descriptor) => Reflect.defineProperty(real(), key, descriptor),
    deleteProperty: (_target, key) => Reflect.deleteProperty(real(), key),
  });
}

function standIn(requireFrom: NodeJS.Require, filename: string): void {
  if (requireFrom.cache[filename]) return;
  const module = new Module(filename);
  module.filename = filename;
  module.loaded = true;
  module.exports = lazyExports(() => {
    // The real module takes the stand-in's place in the cache as it loads.
    delete requireFrom.cache[filename];
    return requireFrom(filename);
  });
  requireFrom.cache[filename] = module;
}

function installStandIns(): void {
  const ownRequire = createRequire(import.meta.url);
  const bridgeLibrary = ownRequire.resolve("matrix-appservice-bridge");
  const requireFromBridge = createRequire(bridgeLibrary);
  const packages: Record<string, NodeJS.Require> = {
    "matrix-appservice-bridge": requireFromBridge,
    "@vector-im/matrix-bot-sdk": createRequire(requireFromBridge.resolve("@vector-im/matrix-bot-sdk")),
    "matrix-appservice": createRequire(requireFromBridge.resolve("matrix-appservice")),
  };
  for (const [owner, libraries] of Object.entries(rarelyUsed)) {
    const requireFrom = packages[owner]!;
    for (const library of libraries) {
      let filename: string;
      try {
        filename = requireFrom.resolve(library);
      } catch {
        continue; // Not installed where it would be looked for: its user would fail as before.
      }
      standIn(requireFrom, filename);
    }
  }
}

installStandIns();
