/**
 * Bridge states: the state of each login under the names mautrix bridges use, so dashboards and
 * integrations written for them read ours too.
 */
import type { ConnectionState, LinkedAccount } from "../../signal/index.js";
import type { LoginEvent } from "../logins.js";

export type BridgeStateEvent =
  | "STARTING"
  | "CONNECTING"
  | "CONNECTED"
  | "TRANSIENT_DISCONNECT"
  | "BAD_CREDENTIALS"
  | "LOGGED_OUT"
  | "UNKNOWN_ERROR";

/** The states that are errors: they ask someone to act (or to look, when they do not go away). */
export const ERROR_STATES: ReadonlySet<BridgeStateEvent> = new Set(["BAD_CREDENTIALS", "UNKNOWN_ERROR"]);

/** The part of a state that says what happened. */
export interface StateChange {
  state_event: BridgeStateEvent;
  /** A machine-readable code for error states. */
  error?: string;
  /** What happened, in words. */
  message?: string;
}

/** A login's state as mautrix's bridges send it (`status.BridgeState`). */
export interface BridgeState extends StateChange {
  /** Unix time in seconds. */
  timestamp: number;
  /** How long, in seconds, the state may be taken as current without a new one. */
  ttl: number;
  source: "bridge";
  user_id: string;
  /** The login's ID: the Signal account's ACI. */
  remote_id?: string;
  /** The login's name: the account's phone number. */
  remote_name?: string;
  remote_profile?: { phone?: string };
}

const CONNECTION_ERROR = "signal-connection-error";
const START_ERROR = "signal-start-failed";
const UNLINKED_MESSAGE =
  "Signal refused this device's credentials: it was unlinked from the phone, or the account is gone.";

/** What a connection state of the Signal client means for its login; null when nothing new. */
export function changeOfConnection(state: ConnectionState, detail: string | null): StateChange | null {
  switch (state) {
    case "connecting":
      return { state_event: "CONNECTING" };
    case "connected":
      return { state_event: "CONNECTED" };
    // The client retries on its own after an error: the login is away for now, not broken.
    case "error":
      return {
        state_event: "TRANSIENT_DISCONNECT",
        error: CONNECTION_ERROR,
        ...(detail ? { message: detail } : {}),
      };
    case "reconnecting":
      return { state_event: "TRANSIENT_DISCONNECT" };
    case "logged-out":
      return {
        state_event: "BAD_CREDENTIALS",
        message: detail ? `${UNLINKED_MESSAGE} (${detail})` : UNLINKED_MESSAGE,
      };
    // A clean stop (the bridge shutting down, the user logging out) says nothing about the login.
    case "stopped":
      return null;
  }
}

/** What a login event means for the login's state; null when nothing new. */
export function changeOf(event: LoginEvent): StateChange | null {
  switch (event.type) {
    case "starting":
      return { state_event: "STARTING" };
    case "connection":
      return changeOfConnection(event.state, event.detail);
    case "start-failed":
      return {
        state_event: "UNKNOWN_ERROR",
        error: START_ERROR,
        message: event.error instanceof Error ? event.error.message : String(event.error),
      };
    case "removed":
      return { state_event: "LOGGED_OUT" };
  }
}

// mautrix's TTLs: an error is worth re-checking within the hour, other states within six.
const ERROR_TTL_S = 3600;
const TTL_S = 21600;

/** The full state to report for a change of `userId`'s login to `account` (if known) at `now`. */
export function bridgeState(
  change: StateChange,
  userId: string,
  account: Pick<LinkedAccount, "aci" | "number"> | undefined,
  now: number,
): BridgeState {
  return {
    ...change,
    timestamp: Math.floor(now / 1000),
    ttl: change.error ? ERROR_TTL_S : TTL_S,
    source: "bridge",
    user_id: userId,
    ...(account
      ? {
          remote_id: account.aci,
          ...(account.number
            ? { remote_name: account.number, remote_profile: { phone: account.number } }
            : {}),
        }
      : {}),
  };
}
