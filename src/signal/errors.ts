// Typed errors of the Signal client. Messages say what happened and what the user can do.

export class SignalClientError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The provisioning message could not be decrypted or verified. */
export class ProvisioningCipherError extends SignalClientError {}

/** Linking failed; the message says at which step. */
export class LinkingError extends SignalClientError {}

/** Linking was cancelled by the caller before it finished. */
export class LinkingCancelledError extends SignalClientError {
  constructor() {
    super("Linking was cancelled before the phone scanned the code.");
  }
}

/** The server no longer accepts this device's credentials: it was unlinked or its account is gone. */
export class LoggedOutError extends SignalClientError {
  constructor(detail: string) {
    super(`This Signal device is no longer linked (${detail}). Link it again to continue.`);
  }
}

/** A chat-service request returned an unexpected status. */
export class ServiceRequestError extends SignalClientError {
  constructor(
    readonly verb: string,
    readonly path: string,
    readonly status: number,
    detail: string,
  ) {
    super(`Signal server answered ${status} to ${verb} ${path}${detail ? `: ${detail}` : ""}`);
  }
}

/** Message padding was malformed. */
export class PaddingError extends SignalClientError {}

/** Sending a message failed after the retries the protocol allows. */
export class SendError extends SignalClientError {}
