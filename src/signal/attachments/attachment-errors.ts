// Typed errors for moving attachments. Messages name the attachment problem, never key material.
import { SignalClientError } from "../errors.js";

/** The attachment is larger than the configured limit (or than its pointer claims). */
export class AttachmentTooLargeError extends SignalClientError {
  /** `limit` is null when the server refused the size without saying its limit. */
  constructor(
    readonly size: number,
    readonly limit: number | null,
  ) {
    super(
      limit === null
        ? `The attachment is ${size} bytes, more than the Signal server accepts. Send a smaller file.`
        : `The attachment is ${size} bytes, more than the limit of ${limit} bytes. ` +
            "Send a smaller file or raise the attachment size limit.",
    );
  }
}

/** The downloaded attachment failed a size, MAC or digest check: it was damaged or tampered with. */
export class AttachmentCorruptError extends SignalClientError {
  constructor(reason: string) {
    super(`The attachment is damaged or was tampered with (${reason}); ask the sender to send it again.`);
  }
}

/** The attachment pointer lacks what a download needs (key, location) or has malformed values. */
export class AttachmentPointerError extends SignalClientError {
  constructor(reason: string) {
    super(`The attachment cannot be downloaded: ${reason}.`);
  }
}

/** The CDN does not have the attachment (any more): senders' uploads expire after some weeks. */
export class AttachmentNotFoundError extends SignalClientError {
  constructor() {
    super("The attachment is no longer on the Signal CDN (uploads expire); ask the sender to send it again.");
  }
}

/** The CDN or the chat service refused an upload. */
export class AttachmentUploadError extends SignalClientError {
  constructor(reason: string, options?: ErrorOptions) {
    super(`Uploading the attachment failed: ${reason}. Try sending it again later.`, options);
  }
}
