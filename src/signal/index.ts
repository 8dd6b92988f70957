// Public boundary of the Signal client library.
export { linkDevice, type LinkDeviceOptions, type LinkedAccount } from "./link-device.js";
export {
  localTestEnvironment,
  PRODUCTION_ENVIRONMENT,
  type LocalTestEnvironment,
  type LocalTestServerParams,
  type ProductionEnvironment,
  type SignalEnvironment,
} from "./environment.js";
export * from "./errors.js";
export type * from "./storage.js";
export { SignalClient, NotLinkedError, type SignalClientOptions } from "./signal-client.js";
export type { ReconnectPolicy } from "./chat-connection.js";
export type * from "./events.js";
export { MessageSender, type OutgoingPayload, type SendOptions } from "./message-sender.js";
