/**
 * How the relay ended with one event, as the metrics count it:
 * - bridged: it reached the other side;
 * - failed: refused for good, or a bug (the sender is told where it matters);
 * - skipped: an event of a kind the bridge relays, deliberately not sent on (a reaction to
 *   something that never crossed, a repeat of what was sent before, typing in a chat without
 *   a portal);
 * - ignored: nothing to bridge at all (bot commands, events outside portals, the bridge's own echoes).
 */
export type RelayOutcome = "bridged" | "failed" | "skipped" | "ignored";
