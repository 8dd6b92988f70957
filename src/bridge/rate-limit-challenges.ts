// Signal's rate limit with a challenge: the account must prove it is a person before it may send
// again. The refused messages are held (see retry-policy); the user is told what to do, answers
// with submit-challenge, and the held messages go out at once. Push challenges, the other kind
// Signal offers, arrive as push notifications to the phone app, which a linked device never gets.
import type { Logger } from "../logger.js";
import { answerCaptchaChallenge, CHALLENGE_CAPTCHA_URL, type RateLimitError } from "../signal/index.js";
import type { Login } from "./logins.js";

/** A user who has not answered is reminded at most this often while sends keep being refused. */
const REMIND_AFTER_MS = 30 * 60_000;

export interface RateLimitChallengesOptions {
  /** Tells the user something in their management room. */
  notifyUser(userId: string, text: string): Promise<void>;
  /** Held messages are tried again now (the challenge was answered). */
  retryHeldNow(): void;
  logger: Logger;
  now?: () => number;
}

export const challengeInstructions = [
  "Signal is holding your messages from Matrix: it wants you to prove you are a person first (a rate-limit challenge). They are sent as soon as you answer:",
  `1. Open ${CHALLENGE_CAPTCHA_URL} in a browser and solve the captcha.`,
  '2. The page then offers to open Signal. Copy that link instead (right-click "Open Signal", copy the link address; it starts with signalcaptcha://).',
  "3. Send submit-challenge <the link> here.",
].join("\n");

export class RateLimitChallenges {
  /** The open challenge of each user, and when they were last told about it. */
  private readonly open = new Map<string, { token: string; toldAt: number }>();

  constructor(private readonly options: RateLimitChallengesOptions) {}

  /** A send of `login` was refused with a challenge; the user is told (not again and again). */
  async refused(login: Login, error: RateLimitError): Promise<void> {
    if (error.challengeToken === null) return;
    const now = (this.options.now ?? Date.now)();
    const known = this.open.get(login.userId);
    const tell = !known || now - known.toldAt >= REMIND_AFTER_MS;
    this.open.set(login.userId, { token: error.challengeToken, toldAt: tell ? now : known.toldAt });
    if (!tell) return;
    this.options.logger.warn(`Signal asks ${login.userId} to solve a rate-limit challenge; their sends wait`);
    await this.options.notifyUser(login.userId, challengeInstructions).catch((notifyError: unknown) => {
      this.options.logger.warn(`could not tell ${login.userId} about the challenge`, notifyError);
    });
  }

  /** Answers the user's open challenge with the captcha they pasted; returns what to tell them. */
  async submit(login: Login, pasted: string): Promise<string> {
    const open = this.open.get(login.userId);
    if (!open) return "Signal has not asked for a challenge; there is nothing to submit.";
    try {
      await answerCaptchaChallenge(login.client.chat, open.token, pasted);
    } catch (error) {
      this.options.logger.info(
        `the challenge answer of ${login.userId} was refused: ${(error as Error).message}`,
      );
      return `Signal did not accept that (${(error as Error).message}). The captcha may have expired: solve a new one at ${CHALLENGE_CAPTCHA_URL} and send submit-challenge with its link again.`;
    }
    this.open.delete(login.userId);
    this.options.logger.info(`${login.userId} answered the rate-limit challenge; held messages go out`);
    this.options.retryHeldNow();
    return "Challenge accepted: your held messages are being sent now.";
  }
}
