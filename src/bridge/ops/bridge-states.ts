import type { Logger } from "../../logger.js";
import { escapeHtml } from "../bot-commands.js";
import { type Clock, systemClock } from "../expiry-scheduler.js";
import type { LoginEvent } from "../logins.js";
import { type BridgeState, bridgeState, changeOf, ERROR_STATES, type StateChange } from "./bridge-state.js";

export type StatusNotices = "all" | "errors" | "none";

/** Sends one state to the status endpoint; rejects when it was not taken. */
export type StatePoster = (state: BridgeState, signal: AbortSignal) => Promise<void>;

export interface BridgeStatesOptions {
  /** Where states go over HTTP (see postStateTo); none when the endpoint is not configured. */
  post?: StatePoster;
  notices: StatusNotices;
  /** Tells the user in their management room; resolves without sending when they have none. */
  notify(userId: string, text: string, html: string): Promise<void>;
  logger: Logger;
  clock?: Clock;
}

/** How long a disconnection lasts before `errors` tells the user about it (mautrix's figure). */
export const DISCONNECT_NOTICE_DELAY_MS = 3 * 60_000;
const POST_TIMEOUT_MS = 30_000;
const FIRST_RETRY_MS = 2_000;
const MAX_RETRY_MS = 64_000;

interface LoginTrack {
  state: BridgeState;
  /** The last notice sent was about an error: the recovery is worth one too. */
  errorNoticed: boolean;
  /** Pending notice about a disconnection that has not ended yet. */
  disconnectNotice?: { cancel(): void };
}

/** `fetch` as the StatePoster of an endpoint, with the as_token, as mautrix's bridges send them. */
export function postStateTo(endpoint: string, asToken: string): StatePoster {
  return async (state, signal) => {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { authorization: `Bearer ${asToken}`, "content-type": "application/json" },
      body: JSON.stringify(state),
      signal: AbortSignal.any([signal, AbortSignal.timeout(POST_TIMEOUT_MS)]),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`the status endpoint answered ${response.status}`);
  };
}

/**
 * Follows the state of every login (see bridge-state.ts) and reports each change: to the status
 * endpoint (one login's states in order, each retried until taken unless a newer one replaces
 * it), and as notices in the user's management room as `bridge_status_notices` says.
 */
export class BridgeStates {
  private readonly logins = new Map<string, LoginTrack>();
  /** Per user: the state still to post, and whether a loop is posting. */
  private readonly outbox = new Map<string, { next: BridgeState | undefined; running: boolean }>();
  private readonly stopping = new AbortController();
  private readonly clock: Clock;

  constructor(private readonly options: BridgeStatesOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** The current state of the user's login, if they have one. */
  stateOf(userId: string): BridgeState | undefined {
    return this.logins.get(userId)?.state;
  }

  /** Takes in an event of a user's login; does not throw. */
  handle(userId: string, event: LoginEvent): void {
    const change = changeOf(event);
    if (!change) return;
    const previous = this.logins.get(userId);
    if (previous && sameState(previous.state, change)) return;
    const account =
      "account" in event && event.account
        ? event.account
        : previous?.state.remote_id
          ? { aci: previous.state.remote_id, number: previous.state.remote_name ?? null }
          : undefined;
    const state = bridgeState(change, userId, account, this.clock.now());
    const track: LoginTrack = previous ?? { state, errorNoticed: false };
    track.state = state;
    if (state.state_event === "LOGGED_OUT") {
      track.disconnectNotice?.cancel();
      this.logins.delete(userId);
    } else {
      this.logins.set(userId, track);
    }
    this.post(userId, state);
    this.notice(userId, track, state);
  }

  stop(): void {
    this.stopping.abort();
    for (const track of this.logins.values()) track.disconnectNotice?.cancel();
  }

  private post(userId: string, state: BridgeState): void {
    if (!this.options.post) return;
    let box = this.outbox.get(userId);
    if (!box) {
      box = { next: undefined, running: false };
      this.outbox.set(userId, box);
    }
    box.next = state;
    if (!box.running) {
      box.running = true;
      void this.drain(userId, box);
    }
  }

  private async drain(userId: string, box: { next: BridgeState | undefined; running: boolean }) {
    const { logger } = this.options;
    const post = this.options.post!;
    const signal = this.stopping.signal;
    while (box.next && !signal.aborted) {
      const state = box.next;
      let delay = FIRST_RETRY_MS;
      for (let attempt = 1; box.next === state && !signal.aborted; attempt++) {
        try {
          await post(state, signal);
          if (box.next === state) box.next = undefined;
          logger.debug(`sent bridge state ${state.state_event} of ${userId}`);
          break;
        } catch (error) {
          if (signal.aborted) break;
          const line = `could not send bridge state ${state.state_event} of ${userId} to the status endpoint (attempt ${attempt}); trying again in ${delay / 1000} s: ${(error as Error).message}`;
          if (attempt === 1) logger.warn(line);
          else logger.debug(line);
          await this.sleep(delay, signal);
          delay = Math.min(delay * 2, MAX_RETRY_MS);
        }
      }
    }
    box.running = false;
    if (!box.next) this.outbox.delete(userId);
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimer(done, ms);
      signal.addEventListener("abort", done, { once: true });
      function done() {
        timer.cancel();
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }

  private notice(userId: string, track: LoginTrack, state: BridgeState): void {
    const mode = this.options.notices;
    const isError = ERROR_STATES.has(state.state_event);
    if (state.state_event === "TRANSIENT_DISCONNECT") {
      if (mode === "errors" && !track.disconnectNotice && !track.errorNoticed) {
        track.disconnectNotice = this.clock.setTimer(() => {
          track.disconnectNotice = undefined;
          const current = this.logins.get(userId);
          if (current !== track || current.state.state_event !== "TRANSIENT_DISCONNECT") return;
          this.send(userId, track, current.state, true);
        }, DISCONNECT_NOTICE_DELAY_MS);
      }
    } else {
      track.disconnectNotice?.cancel();
      track.disconnectNotice = undefined;
    }
    const wanted =
      mode === "all" ||
      (mode === "errors" && (isError || (track.errorNoticed && state.state_event === "CONNECTED")));
    if (wanted) this.send(userId, track, state, false);
  }

  private send(userId: string, track: LoginTrack, state: BridgeState, delayed: boolean): void {
    const isError = ERROR_STATES.has(state.state_event) || delayed;
    const { text, html } = describeState(state, delayed);
    this.options.notify(userId, text, html).then(
      () => void (track.errorNoticed = isError),
      (error) => this.options.logger.warn(`could not tell ${userId} about their login's state`, error),
    );
  }
}

/**
 * A state with the name of the one before is left out, as mautrix does. (mautrix also tells
 * error codes apart; here a connection that fails again while it retries would then flap between
 * "failed" and "retrying" on every attempt.)
 */
function sameState(previous: BridgeState, change: StateChange): boolean {
  return previous.state_event === change.state_event;
}

/** The notice of a state, worded like mautrix's: `State update for <name>: <STATE> (<error>): <message>`. */
export function describeState(state: BridgeState, delayed: boolean): { text: string; html: string } {
  const name = state.remote_name ?? state.remote_id ?? "your Signal login";
  const wait = delayed ? ` not resolved after waiting ${DISCONNECT_NOTICE_DELAY_MS / 60_000} minutes` : "";
  const text = `State update for ${name}: ${state.state_event}${state.error ? ` (${state.error})` : ""}${wait}${state.message ? `: ${state.message}` : ""}`;
  const html = `State update for ${escapeHtml(name)}: <code>${state.state_event}</code>${state.error ? ` (<code>${escapeHtml(state.error)}</code>)` : ""}${wait}${state.message ? `: ${escapeHtml(state.message)}` : ""}`;
  return { text, html };
}
