/**
 * The start-up ping (Matrix v1.7): the bridge asks the homeserver to call the bridge's own
 * `/_matrix/app/v1/ping`. One request checks both directions: that the homeserver knows the
 * as_token under this appservice id, and that it reaches the bridge at the registration's url.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../logger.js";
import {
  describeAnswer,
  describeRequestFailure,
  errcodeOf,
  type Fetch,
  type HomeserverAnswer,
  homeserverRequest,
} from "./homeserver-http.js";

export interface PingContext {
  /** The registration's `id` (appservice.id). */
  appserviceId: string;
  /** The registration's `url`: where the homeserver pushes to. */
  registrationUrl: string;
  /** `appservice.address` in the config (the registration was generated from it, unless -u). */
  configuredAddress: string;
  /** Where the bridge listens, `hostname:port`. */
  listening: string;
  /** The registration file the bridge read. */
  registrationPath: string;
}

export type PingOutcome =
  | { kind: "ok"; durationMs: number }
  /** The homeserver predates the ping: nothing is known, nothing is wrong. */
  | { kind: "unsupported"; answer: string }
  /** The homeserver refuses the as_token (or the id): the bridge cannot act on Matrix. */
  | { kind: "refused"; answer: string; explanation: string }
  /** Anything else: the homeserver cannot reach the bridge, or answered oddly. */
  | { kind: "failed"; answer: string; explanation: string };

const PING_TIMEOUT_MS = 30_000;

/** The homeserver does not know the as_token the bridge sent. */
export function isTokenRefusal(answer: HomeserverAnswer): boolean {
  const errcode = errcodeOf(answer);
  return errcode === "M_UNKNOWN_TOKEN" || errcode === "M_MISSING_TOKEN" || answer.status === 401;
}

/** Why a homeserver does not know the bridge's as_token, and what to do. */
export function explainUnknownToken(registrationPath: string): string {
  return (
    "the homeserver does not know the bridge's as_token: either it has not loaded the registration " +
    `(add ${registrationPath} to app_service_config_files and restart the homeserver), ` +
    "or its copy has other tokens than the bridge's (copy the file again and restart the homeserver)"
  );
}

function addressMismatch(context: PingContext): string {
  return context.registrationUrl === context.configuredAddress
    ? ""
    : ` The registration says ${context.registrationUrl} but appservice.address is ${context.configuredAddress}: ` +
        "regenerate the registration (-r) if the address changed.";
}

/** What the homeserver's answer to the ping means, in words an operator can act on. */
export function explainPingAnswer(answer: HomeserverAnswer, context: PingContext): PingOutcome {
  const errcode = errcodeOf(answer);
  const said = describeAnswer(answer);
  const bridgeAt = `the bridge at ${context.registrationUrl} (appservice.address)`;
  if (answer.status >= 200 && answer.status < 300) {
    const duration = answer.body?.["duration_ms"];
    return { kind: "ok", durationMs: typeof duration === "number" ? duration : -1 };
  }
  if (isTokenRefusal(answer)) {
    return { kind: "refused", answer: said, explanation: explainUnknownToken(context.registrationPath) };
  }
  if (errcode === "M_FORBIDDEN" || answer.status === 403) {
    return {
      kind: "refused",
      answer: said,
      explanation:
        `the homeserver knows the as_token, but not as appservice "${context.appserviceId}": the id in ` +
        "its copy of the registration differs from appservice.id (copy the registration again)",
    };
  }
  if (errcode === "M_URL_NOT_SET") {
    return {
      kind: "failed",
      answer: said,
      explanation:
        "the homeserver's copy of the registration has no url, so it never pushes events to the bridge; " +
        "regenerate it with -r and restart the homeserver",
    };
  }
  if (errcode === "M_BAD_STATUS") {
    const status = answer.body?.["status"];
    const explanation =
      status === 401 || status === 403
        ? `the homeserver reaches ${bridgeAt}, but the bridge refused its hs_token: the homeserver's copy ` +
          "of the registration has other tokens than the bridge's (copy the file again and restart the homeserver)"
        : `the homeserver reaches ${context.registrationUrl}, but what answers there (HTTP ${String(status)}) ` +
          `is not this bridge, which listens on ${context.listening}`;
    return { kind: "failed", answer: said, explanation: explanation + addressMismatch(context) };
  }
  if (errcode === "M_CONNECTION_TIMEOUT" || answer.status === 504) {
    return {
      kind: "failed",
      answer: said,
      explanation:
        `the homeserver's requests to ${bridgeAt} time out: check that this address leads to the bridge ` +
        `(listening on ${context.listening}) from the homeserver's host (firewall, container network)` +
        addressMismatch(context),
    };
  }
  if (errcode === "M_CONNECTION_FAILED" || answer.status === 502) {
    return {
      kind: "failed",
      answer: said,
      explanation:
        `the homeserver cannot reach ${bridgeAt}: check that this address leads to the bridge ` +
        `(listening on ${context.listening}) from the homeserver's host (host name, port, firewall, ` +
        "container network); until then no Matrix message reaches Signal" +
        addressMismatch(context),
    };
  }
  if (errcode === "M_UNRECOGNIZED" || answer.status === 404 || answer.status === 405) {
    return { kind: "unsupported", answer: said };
  }
  return { kind: "failed", answer: said, explanation: "the homeserver gave an unexpected answer" };
}

/**
 * Pings the homeserver as the appservice and logs the outcome: the round trip at info, or one
 * warning explaining the likely cause. Never throws: the bridge runs on whatever the outcome.
 */
export async function pingHomeserver(options: {
  homeserverUrl: string;
  asToken: string;
  context: PingContext;
  logger: Logger;
  fetch?: Fetch;
}): Promise<PingOutcome> {
  const { context, logger } = options;
  const path = `/_matrix/client/v1/appservice/${encodeURIComponent(context.appserviceId)}/ping`;
  let outcome: PingOutcome;
  try {
    const answer = await homeserverRequest(
      options.homeserverUrl,
      path,
      {
        method: "POST",
        token: options.asToken,
        body: { transaction_id: `startup-${randomBytes(8).toString("hex")}` },
        timeoutMs: PING_TIMEOUT_MS,
      },
      options.fetch,
    );
    outcome = explainPingAnswer(answer, context);
  } catch (error) {
    const why = describeRequestFailure(error, PING_TIMEOUT_MS);
    outcome = { kind: "failed", answer: why, explanation: "the homeserver did not answer the ping" };
  }
  switch (outcome.kind) {
    case "ok":
      logger.info(
        `appservice ping: the homeserver reached the bridge at ${context.registrationUrl}; duration_ms=${outcome.durationMs}`,
      );
      break;
    case "unsupported":
      logger.info(
        `appservice ping skipped: the homeserver does not support it (${outcome.answer}; it came with Matrix v1.7)`,
      );
      break;
    default:
      logger.warn(`appservice ping failed (${outcome.answer}): ${outcome.explanation}`);
  }
  return outcome;
}
