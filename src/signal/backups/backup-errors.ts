// Typed errors of the history transfer. Messages say what went wrong for the user, never key material.
import { SignalClientError } from "../errors.js";

/** The transfer archive could not be read: damaged, not decryptable with our key, or not a backup. */
export class TransferArchiveError extends SignalClientError {
  constructor(reason: string, options?: ErrorOptions) {
    super(`The message history from your phone could not be read: ${reason}.`, options);
  }
}

/** The phone sent no key for a history transfer when linking, so there is nothing to fetch. */
export class NoHistoryTransferError extends SignalClientError {
  constructor() {
    super("The phone did not offer its message history when this device was linked.");
  }
}
