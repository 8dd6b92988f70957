/**
 * Bounds on the text conversion produces, so that no message, however it is built, costs more
 * than a fixed amount to convert, send or show. Sizes are UTF-8 bytes, the unit Signal's own
 * limits are written in.
 */
import { isHighSurrogate, isLowSurrogate } from "./utf16.js";

/**
 * The most text one Signal message carries: Signal Desktop refuses to send a longer long-text
 * attachment (`MAX_BODY_ATTACHMENT_BYTE_LENGTH`) and Android stops at the same size
 * (`MAX_TOTAL_BODY_SIZE_BYTES`), so more would not reach anyone anyway.
 */
export const MAX_TEXT_BYTES = 64 * 1024;

/**
 * Signal Desktop keeps at most 250 body ranges of each style and 250 mentions of a message and
 * drops the rest on receipt; keeping more would cost work on both sides and show nothing more.
 */
export const MAX_RANGES_PER_KIND = 250;

/** Ends text that was cut to fit. */
export const CUT_MARK = "…";

/** The length of `text` in UTF-8 (a lone surrogate counts as the 3 bytes of U+FFFD it becomes). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The length (in UTF-16 code units) of the longest start of `text` that fits in `maxBytes` of
 * UTF-8 without splitting a code point.
 */
export function utf8PrefixLength(text: string, maxBytes: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    const pair = isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(i + 1));
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += pair ? 2 : 1;
  }
  return i;
}

/** `text` if it fits in `maxBytes` of UTF-8, else as much of it as fits together with `mark`, then the mark. */
export function capText(text: string, maxBytes: number, mark = CUT_MARK): string {
  // Three bytes per UTF-16 code unit is the most UTF-8 needs: short text needs no counting.
  if (text.length * 3 <= maxBytes || utf8Length(text) <= maxBytes) return text;
  return text.slice(0, utf8PrefixLength(text, Math.max(maxBytes - utf8Length(mark), 0))) + mark;
}
