// Reads the phone's contact list: a stream of varint-length-delimited ContactDetails, each
// followed directly by its avatar's bytes when `avatar.length` says there is one.
import { signalservice } from "../../proto/generated/signal.js";
import { SignalClientError } from "../errors.js";

/** The contact list could not be parsed. */
export class ContactSyncError extends SignalClientError {
  constructor(reason: string, options?: ErrorOptions) {
    super(
      `The contact list from the phone could not be read (${reason}). Ask for a contact sync again.`,
      options,
    );
  }
}

export interface ContactDetailsEntry {
  details: signalservice.ContactDetails;
  /** The avatar image bytes, or null when the contact has none. */
  avatar: Uint8Array | null;
}

// A varint longer than this cannot be a sane length (2^35 bytes).
const MAX_VARINT_BYTES = 5;

/** Pulls exact byte counts out of a chunked stream, holding only what is not consumed yet. */
class ChunkReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private ended = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** True when the stream ended exactly here. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  async readVarint(): Promise<number> {
    let value = 0;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = (await this.read(1))[0] ?? 0;
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) return value;
    }
    throw new ContactSyncError("a length prefix is malformed");
  }

  async read(length: number): Promise<Buffer> {
    if (!(await this.fill(length))) throw new ContactSyncError("it ends in the middle of an entry");
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const out = all.subarray(0, length);
    const rest = all.subarray(length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }

  private async fill(length: number): Promise<boolean> {
    while (this.buffered < length && !this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
      } else if (next.value.length > 0) {
        const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
        this.chunks.push(chunk);
        this.buffered += chunk.length;
      }
    }
    return this.buffered >= length;
  }
}

/** Yields each contact of a decrypted contact-sync attachment in order. */
export async function* readContactDetails(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<ContactDetailsEntry> {
  const reader = new ChunkReader(source[Symbol.asyncIterator]());
  while (!(await reader.atEnd())) {
    const length = await reader.readVarint();
    let details: signalservice.ContactDetails;
    try {
      details = signalservice.ContactDetails.decode(await reader.read(length));
    } catch (error) {
      if (error instanceof ContactSyncError) throw error;
      throw new ContactSyncError("an entry is not a valid ContactDetails message", { cause: error });
    }
    const avatarLength = details.avatar?.length ?? 0;
    const avatar = avatarLength > 0 ? new Uint8Array(await reader.read(avatarLength)) : null;
    yield { details, avatar };
  }
}
