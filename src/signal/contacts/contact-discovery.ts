// Phone numbers are looked up in Signal's contact discovery service (CDSI): an SGX enclave that
// answers which accounts have which numbers without the server learning what was asked. libsignal
// speaks to it; the chat service hands out the credentials for each lookup.
import { ErrorCode, LibSignalErrorBase } from "@signalapp/libsignal-client";
import type { Net } from "@signalapp/libsignal-client/dist/net.js";
import { type ChatRequester, chatRequestOk } from "../chat-api.js";
import { SignalClientError } from "../errors.js";

// Signal-Desktop ts/textsecure/WebAPI.ts: `directoryAuthV2: 'v2/directory/auth'`.
const DIRECTORY_AUTH_PATH = "/v2/directory/auth";
/** A lookup is a handful of round trips to the enclave; one that takes longer will not finish. */
const LOOKUP_TIMEOUT_MS = 30_000;

/** Who has a phone number on Signal. The ACI is missing when Signal shares only the number's identity. */
export interface DiscoveredAccount {
  aci: string | null;
  pni: string | null;
}

/** Contact discovery refused the lookup for now (it limits how many numbers an account looks up). */
export class DiscoveryRateLimitedError extends SignalClientError {
  constructor(readonly retryAfterSeconds: number) {
    super(`Signal's contact discovery allows no more lookups for ${retryAfterSeconds} seconds.`);
  }
}

/** The credentials a lookup needs are malformed: the chat service did not answer as expected. */
export class DiscoveryAuthError extends SignalClientError {}

/**
 * The accounts registered with these phone numbers (E.164, like +15551234567), keyed by the
 * numbers as given; numbers nobody on Signal can be found by are left out.
 * Throws DiscoveryRateLimitedError when the service asks to wait.
 */
export async function discoverPhoneNumbers(
  net: Pick<Net, "cdsiLookup">,
  chat: ChatRequester,
  e164s: readonly string[],
): Promise<Map<string, DiscoveredAccount>> {
  const found = new Map<string, DiscoveredAccount>();
  if (e164s.length === 0) return found;
  const auth = directoryAuthOf(await chatRequestOk(chat, "GET", DIRECTORY_AUTH_PATH));
  let response;
  try {
    response = await net.cdsiLookup(auth, {
      e164s: [...e164s],
      acisAndAccessKeys: [],
      abortSignal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
    });
  } catch (error) {
    if (LibSignalErrorBase.is(error, ErrorCode.RateLimitedError))
      throw new DiscoveryRateLimitedError(error.retryAfterSecs);
    throw error;
  }
  // The service writes numbers its own way; match them by their digits.
  const byDigits = new Map([...response.entries].map(([e164, entry]) => [digitsOf(e164), entry]));
  for (const e164 of e164s) {
    const entry = byDigits.get(digitsOf(e164));
    if (entry && (entry.aci || entry.pni))
      found.set(e164, { aci: entry.aci ?? null, pni: entry.pni ?? null });
  }
  return found;
}

function directoryAuthOf(json: unknown): { username: string; password: string } {
  if (json && typeof json === "object" && "username" in json && "password" in json) {
    const { username, password } = json;
    if (typeof username === "string" && typeof password === "string") return { username, password };
  }
  throw new DiscoveryAuthError(`${DIRECTORY_AUTH_PATH} gave no username and password`);
}

const digitsOf = (text: string) => text.replace(/\D/g, "");
