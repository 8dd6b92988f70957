// Answering the server's rate-limit challenge (a 428 with a token) with a solved captcha, the way
// Signal's apps do after the user solved it in a browser: PUT /v1/challenge.
import { type ChatRequester, chatRequest } from "../chat-api.js";
import { ServiceRequestError } from "../errors.js";

/** Where Signal's apps send a rate-limited user to solve the captcha for a challenge. */
export const CHALLENGE_CAPTCHA_URL = "https://signalcaptchas.org/challenge/generate.html";

/** The captcha page hands its result over as this URL scheme; the server wants what follows it. */
const CAPTCHA_SCHEME = "signalcaptcha://";

/** The solved captcha as the server wants it, from what the user pasted (with or without the scheme). */
export function captchaFromPaste(pasted: string): string {
  const trimmed = pasted.trim();
  return trimmed.toLowerCase().startsWith(CAPTCHA_SCHEME) ? trimmed.slice(CAPTCHA_SCHEME.length) : trimmed;
}

/**
 * Answers the challenge `token` (from the refused send) with a solved captcha. Resolves when the
 * server accepted it; the account may send again then. Throws ServiceRequestError otherwise
 * (428 again: the captcha was wrong or expired).
 */
export async function answerCaptchaChallenge(
  chat: ChatRequester,
  token: string,
  captcha: string,
): Promise<void> {
  const body = { type: "captcha", token, captcha: captchaFromPaste(captcha) };
  const response = await chatRequest(chat, "PUT", "/v1/challenge", body);
  if (response.status < 200 || response.status >= 300) {
    throw new ServiceRequestError("PUT", "/v1/challenge", response.status, "the captcha was not accepted");
  }
}
