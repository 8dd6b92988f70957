/**
 * Start-up waits for the homeserver instead of failing: first until it answers at all, then until
 * it accepts the bridge's as_token. The homeserver may start after the bridge (a reboot, a
 * compose file) or be restarted with a fixed registration; the bridge then continues on its own.
 */
import type { Logger } from "../logger.js";
import { describeAnswer, describeRequestFailure, type Fetch, homeserverRequest } from "./homeserver-http.js";
import { explainUnknownToken, isTokenRefusal } from "./homeserver-ping.js";
import { type RetryClock, type RetryPolicy, retryUntil } from "./retry-until.js";

const REQUEST_TIMEOUT_MS = 10_000;

export interface HomeserverWaitOptions {
  homeserverUrl: string;
  logger: Logger;
  fetch?: Fetch;
  policy?: RetryPolicy;
  clock?: RetryClock;
}

/** Waits until the homeserver answers the (unauthenticated) versions request. */
export async function waitForHomeserver(options: HomeserverWaitOptions): Promise<void> {
  const url = options.homeserverUrl;
  await retryUntil({
    what: "the homeserver to answer",
    logger: options.logger,
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    attempt: async () => {
      try {
        const answer = await homeserverRequest(
          url,
          "/_matrix/client/versions",
          { timeoutMs: REQUEST_TIMEOUT_MS },
          options.fetch,
        );
        if (answer.status >= 200 && answer.status < 300) return null;
        const hint =
          answer.status === 404 ? " (is homeserver.url the base URL of the client-server API?)" : "";
        return `it answered ${describeAnswer(answer)}${hint}`;
      } catch (error) {
        return describeRequestFailure(error, REQUEST_TIMEOUT_MS);
      }
    },
    firstFailure: (why) =>
      `cannot reach the homeserver at homeserver.url = ${url}: ${why}. Retrying until it answers.`,
    stillFailing: (why, seconds) =>
      `still waiting for the homeserver at ${url} (${why}), ${seconds} s so far`,
    recovered: (seconds) => `the homeserver at ${url} answers (after ${seconds} s)`,
  });
}

/**
 * Waits until the homeserver accepts the bridge's as_token (`whoami` as the bot). A homeserver
 * that has not loaded the registration refuses it until it is restarted with it.
 */
export async function waitUntilAccepted(
  options: HomeserverWaitOptions & {
    asToken: string;
    registrationPath: string;
    /** The start-up ping already warned about this cause. */
    alreadyExplained: boolean;
  },
): Promise<void> {
  const url = options.homeserverUrl;
  let refused = false;
  await retryUntil({
    what: "the homeserver to accept the bridge's as_token",
    logger: options.logger,
    alreadyExplained: options.alreadyExplained,
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    attempt: async () => {
      try {
        const answer = await homeserverRequest(
          url,
          "/_matrix/client/v3/account/whoami",
          { token: options.asToken, timeoutMs: REQUEST_TIMEOUT_MS },
          options.fetch,
        );
        if (answer.status >= 200 && answer.status < 300) return null;
        refused = isTokenRefusal(answer);
        return describeAnswer(answer);
      } catch (error) {
        return describeRequestFailure(error, REQUEST_TIMEOUT_MS);
      }
    },
    firstFailure: (why) => {
      const cause = !refused
        ? ""
        : options.alreadyExplained
          ? " (see the appservice ping above)"
          : `: ${explainUnknownToken(options.registrationPath)}`;
      return `the homeserver does not accept the bridge yet (${why})${cause}; retrying until it does`;
    },
    stillFailing: (why, seconds) =>
      `still waiting for the homeserver to accept the bridge (${why}), ${seconds} s so far`,
    recovered: (seconds) => `the homeserver accepts the bridge (after ${seconds} s)`,
  });
}
