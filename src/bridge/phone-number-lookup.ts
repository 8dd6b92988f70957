import { type DiscoveredAccount, DiscoveryRateLimitedError } from "../signal/index.js";
import type { Login } from "./logins.js";

/**
 * Asks Signal who has a phone number. The commands depend on this seam rather than on the client:
 * the mock Signal server has no contact discovery, so the bridge's handling of each answer is
 * tested with a fake here, and the lookup itself has not been run against a server.
 */
export interface PhoneNumberDiscovery {
  /** The account with this E.164 number, or null when nobody on Signal can be found by it. */
  discover(login: Login, e164: string): Promise<DiscoveredAccount | null>;
}

/** Discovery through the login's Signal client (libsignal's CDSI lookup). */
export const signalPhoneNumberDiscovery: PhoneNumberDiscovery = {
  async discover(login, e164) {
    return (await login.client.discoverPhoneNumbers([e164])).get(e164) ?? null;
  },
};

/** What a phone number resolved to, each outcome with what the user needs to hear about it. */
export type PhoneNumberLookup =
  | { kind: "found"; aci: string; recipient: null }
  /** Written without a country code: the bridge cannot tell which country's number it is. */
  | { kind: "invalid"; reason: string }
  | { kind: "not-on-signal"; number: string }
  /** Signal shares only the number's own identity (PNI), which a chat cannot be started with. */
  | { kind: "number-identity-only"; number: string }
  | { kind: "rate-limited"; retryAfterSeconds: number }
  | { kind: "discovery-failed"; number: string; reason: string };

/** The E.164 form (+ and up to 15 digits) of a number written with its country code (+ or 00). */
export function toE164(text: string): string | undefined {
  const match = /^(\+|00)([\d\s().-]+)$/.exec(text.trim());
  const digits = match?.[2]?.replace(/\D/g, "");
  return digits && /^[1-9]\d{6,14}$/.test(digits) ? `+${digits}` : undefined;
}

/** Looks a phone number up on Signal for a login; every failure becomes an outcome, none is thrown. */
export async function lookUpPhoneNumber(
  discovery: PhoneNumberDiscovery,
  login: Login,
  number: string,
): Promise<PhoneNumberLookup> {
  const e164 = toE164(number);
  if (!e164) {
    return {
      kind: "invalid",
      reason: `To find ${number.trim()} on Signal, write it with its country code, like +15551234567.`,
    };
  }
  try {
    const account = await discovery.discover(login, e164);
    if (!account) return { kind: "not-on-signal", number: e164 };
    if (!account.aci) return { kind: "number-identity-only", number: e164 };
    return { kind: "found", aci: account.aci, recipient: null };
  } catch (error) {
    if (error instanceof DiscoveryRateLimitedError)
      return { kind: "rate-limited", retryAfterSeconds: error.retryAfterSeconds };
    return { kind: "discovery-failed", number: e164, reason: (error as Error).message };
  }
}

/** "45 seconds", "3 minutes", "2 hours": rounded up, so that trying again then works. */
export function waitingTime(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  const [amount, unit] =
    whole < 120
      ? [whole, "second"]
      : whole < 7200
        ? [Math.ceil(whole / 60), "minute"]
        : [Math.ceil(whole / 3600), "hour"];
  return `${amount} ${unit}${amount === 1 ? "" : "s"}`;
}
