// Relay mode: Matrix users without a Signal login write in a portal through a logged-in user's
// Signal account, with their name (set-relay / unset-relay).
export { relayedEvent, type RelayedEvent, type RelayFormats } from "./relay-format.js";
export { RelayMode, type RelayModeOptions, type RelaySettings, type SendingAccount } from "./relay-mode.js";
