// Our sealed-sender certificate: the server signs (our ACI, device, identity key) for about a day;
// recipients check it against the trust roots. Cached and fetched again before it expires.
import { PublicKey, SenderCertificate } from "@signalapp/libsignal-client";
import { chatRequestOk, fromBase64, type ChatRequester } from "../chat-api.js";
import { SendError } from "../errors.js";

// A certificate this close to expiring is replaced: a message may sit in a queue for a while
// before the recipient checks it.
const REFRESH_MARGIN_MS = 60 * 60 * 1000;

export class SenderCertificateCache {
  private current: SenderCertificate | null = null;
  private pending: Promise<SenderCertificate> | null = null;
  private readonly trustRoots: PublicKey[];

  constructor(
    private readonly chat: ChatRequester,
    trustRoots: readonly string[],
    private readonly now: () => number = Date.now,
  ) {
    this.trustRoots = trustRoots.map((root) => PublicKey.deserialize(fromBase64(root)));
  }

  /** A certificate valid for a while yet; fetched when there is none or it is about to expire. */
  async get(): Promise<SenderCertificate> {
    if (this.current && this.current.expiration() - REFRESH_MARGIN_MS > this.now()) return this.current;
    // Concurrent sends share one fetch.
    this.pending ??= this.fetch().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async fetch(): Promise<SenderCertificate> {
    // Without the phone number: recipients need only our ACI, and not every contact may see the number.
    const json = (await chatRequestOk(this.chat, "GET", "/v1/certificate/delivery?includeE164=false")) as {
      certificate?: unknown;
    };
    if (typeof json?.certificate !== "string") {
      throw new SendError("The Signal server sent no sender certificate; sealed sender is unavailable.");
    }
    const certificate = SenderCertificate.deserialize(fromBase64(json.certificate));
    if (!certificate.validateWithTrustRoots(this.trustRoots, this.now())) {
      throw new SendError("The sender certificate from the server is not signed by a known trust root.");
    }
    this.current = certificate;
    return certificate;
  }
}
