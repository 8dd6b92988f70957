// Splitting a backup's plaintext into its records: each is a varint length, then that many bytes
// (the first record is the BackupInfo, every further one a Frame).
import { TransferArchiveError } from "./backup-errors.js";

/** No frame of a real backup comes near this; a longer length means the data is not a backup. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const MAX_VARINT_BYTES = 5;

/** Yields each record of a stream of chunks; throws TransferArchiveError on a malformed stream. */
export async function* backupRecords(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let buffer: Buffer = Buffer.alloc(0);
  let wanted: number | null = null;
  for await (const chunk of chunks) {
    buffer = buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffer, chunk]);
    for (;;) {
      if (wanted === null) {
        const header = readVarint(buffer);
        if (header === null) break;
        wanted = header.value;
        buffer = buffer.subarray(header.length);
      }
      if (buffer.length < wanted) break;
      yield new Uint8Array(buffer.subarray(0, wanted));
      buffer = buffer.subarray(wanted);
      wanted = null;
    }
  }
  if (wanted !== null || buffer.length > 0) throw new TransferArchiveError("its last record is cut off");
}

/** The varint at the start of `bytes` and its length, or null when more bytes are needed. */
function readVarint(bytes: Uint8Array): { value: number; length: number } | null {
  let value = 0;
  for (let index = 0; index < Math.min(bytes.length, MAX_VARINT_BYTES); index++) {
    const byte = bytes[index]!;
    value += (byte & 0x7f) * 2 ** (7 * index);
    if ((byte & 0x80) === 0) {
      if (value > MAX_RECORD_BYTES) throw new TransferArchiveError("a record claims an impossible length");
      return { value, length: index + 1 };
    }
  }
  if (bytes.length >= MAX_VARINT_BYTES) throw new TransferArchiveError("a record length is malformed");
  return null;
}
