// Signal pads plaintext Content so that ciphertext lengths leak little: the content, one 0x80
// byte, then zeros up to a multiple of the block size. Receivers strip it and reject anything else.
import { PaddingError } from "./errors.js";

const BLOCK_SIZE = 160;
const TERMINATOR = 0x80;

/** Appends the terminator and zeros up to the next multiple of the block size. */
export function padContent(content: Uint8Array): Uint8Array<ArrayBuffer> {
  const length = Math.ceil((content.length + 1) / BLOCK_SIZE) * BLOCK_SIZE;
  const padded = new Uint8Array(length);
  padded.set(content);
  padded[content.length] = TERMINATOR;
  return padded;
}

/** Removes trailing zeros and the terminator; throws PaddingError if the terminator is missing. */
export function unpadContent(padded: Uint8Array): Uint8Array {
  for (let i = padded.length - 1; i >= 0; i--) {
    const byte = padded[i];
    if (byte === TERMINATOR) return padded.subarray(0, i);
    if (byte !== 0)
      throw new PaddingError(
        `Message padding is malformed (byte 0x${byte?.toString(16)} before the end marker).`,
      );
  }
  throw new PaddingError("Message padding has no end marker.");
}
