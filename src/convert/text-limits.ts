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

/** Control characters JSON writes as a two-character escape (\b \t \n \f \r); others take six (\u00XX). */
const SHORT_ESCAPES = new Set([0x08, 0x09, 0x0a, 0x0c, 0x0d]);

/** Bytes a code unit that is not half of a pair takes in UTF-8, or inside a JSON string. */
function unitBytes(code: number, json: boolean): number {
  if (code >= 0x20 && code < 0x80) return json && (code === 0x22 || code === 0x5c) ? 2 : 1;
  if (code < 0x20) return json ? (SHORT_ESCAPES.has(code) ? 2 : 6) : 1;
  if (code < 0x800) return 2;
  // A lone surrogate is U+FFFD in UTF-8 and an escape in JSON.
  return json && (isHighSurrogate(code) || isLowSurrogate(code)) ? 6 : 3;
}

/** The size of `text` in UTF-8, or inside a JSON string. */
function sizeOf(text: string, json: boolean): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += unitBytes(code, json);
  }
  return bytes;
}

/** The length of the longest start of `text` whose size fits in `maxBytes`, never half a pair. */
function prefixLength(text: string, maxBytes: number, json: boolean): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    const pair = isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(i + 1));
    bytes += pair ? 4 : unitBytes(code, json);
    if (bytes > maxBytes) break;
    i += pair ? 2 : 1;
  }
  return i;
}

/** The length of `text` in UTF-8. */
export function utf8Length(text: string): number {
  return sizeOf(text, false);
}

/**
 * The length (in UTF-16 code units) of the longest start of `text` that fits in `maxBytes` of
 * UTF-8 without splitting a code point.
 */
export function utf8PrefixLength(text: string, maxBytes: number): number {
  return prefixLength(text, maxBytes, false);
}

/** The size of `text` inside a JSON string, in UTF-8 with escapes (as Matrix counts event sizes). */
export function jsonLength(text: string): number {
  return sizeOf(text, true);
}

/** Like `utf8PrefixLength`, counting the size inside a JSON string. */
export function jsonPrefixLength(text: string, maxBytes: number): number {
  return prefixLength(text, maxBytes, true);
}

/** `text` if it fits in `maxBytes` of UTF-8, else as much of it as fits together with `mark`, then the mark. */
export function capText(text: string, maxBytes: number, mark = CUT_MARK): string {
  if (fitsUtf8(text, maxBytes)) return text;
  return text.slice(0, utf8PrefixLength(text, Math.max(maxBytes - utf8Length(mark), 0))) + mark;
}

/** Whether `text` fits in `maxBytes` of UTF-8; looks at no more of it than fits. */
export function fitsUtf8(text: string, maxBytes: number): boolean {
  // Three bytes per UTF-16 code unit is the most UTF-8 needs: short text needs no counting.
  return text.length * 3 <= maxBytes || utf8PrefixLength(text, maxBytes) === text.length;
}
