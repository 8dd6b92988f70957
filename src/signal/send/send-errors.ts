// Typed failures of a send, each carrying what the user (or the bridge on their behalf) needs.
import { SendError } from "../errors.js";

/** How the server wants a rate-limited sender to prove it is a person. */
export type RateLimitChallengeOption = "captcha" | "pushChallenge";

/**
 * The server refused the send because this account sent too much. Wait `retryAfterSeconds`
 * (when given) or solve the challenge (`challengeToken` with one of `challengeOptions`, e.g. a
 * captcha in the Signal app) and send again.
 */
export class RateLimitError extends SendError {
  constructor(
    readonly recipient: string,
    readonly retryAfterSeconds: number | null,
    readonly challengeToken: string | null = null,
    readonly challengeOptions: readonly RateLimitChallengeOption[] = [],
  ) {
    super(RateLimitError.describe(retryAfterSeconds, challengeToken, challengeOptions));
  }

  private static describe(
    retryAfterSeconds: number | null,
    challengeToken: string | null,
    challengeOptions: readonly RateLimitChallengeOption[],
  ): string {
    const parts = ["Signal is rate-limiting messages from this account."];
    if (challengeToken !== null) {
      const how = challengeOptions.includes("captcha")
        ? "Open the Signal app on your phone and complete the captcha it asks for"
        : "Open the Signal app on your phone to confirm you are not a spammer";
      parts.push(`${how}, then send again.`);
    }
    if (retryAfterSeconds !== null) parts.push(`Try again in ${retryAfterSeconds} seconds.`);
    if (challengeToken === null && retryAfterSeconds === null) parts.push("Try again later.");
    return parts.join(" ");
  }
}

/** The recipient has no Signal account (never registered, or deleted it). */
export class UnregisteredRecipientError extends SendError {
  constructor(readonly recipient: string) {
    super(`${recipient} is not registered on Signal (any more); the message was not delivered to them.`);
  }
}

/**
 * The recipient's safety number changed after we marked it verified. Nothing is sent until the
 * user compares the new safety number with the contact and verifies it again.
 */
export class UntrustedIdentityError extends SendError {
  constructor(readonly recipient: string) {
    super(
      `The safety number with ${recipient} changed since you verified it. Compare it with them in ` +
        "the Signal app and verify it again before sending.",
    );
  }
}
