import type { signalservice } from "../proto/generated/signal.js";
import { pickAci } from "./service-id.js";
import type { StyledText, TextRange, TextStyle } from "./styled-text.js";
import { isMention, normalizeRanges } from "./styled-text.js";

type BodyRange = signalservice.IBodyRange;

// Values of signalservice.BodyRange.Style; convert/ imports protobuf types, not the runtime.
const STYLE_NUMBERS: Readonly<Record<TextStyle, signalservice.BodyRange.Style>> = {
  bold: 1,
  italic: 2,
  spoiler: 3,
  strikethrough: 4,
  monospace: 5,
};

const STYLES_BY_NUMBER = new Map<number, TextStyle>(
  Object.entries(STYLE_NUMBERS).map(([style, number]) => [number, style as TextStyle]),
);

/**
 * Reads Signal body ranges. Ranges with an unknown style, no mention target or no
 * extent are dropped; the rest are normalised against the text (see `normalizeRanges`).
 */
export function fromBodyRanges(
  text: string,
  bodyRanges: readonly BodyRange[] | null | undefined,
): StyledText {
  const ranges: TextRange[] = [];
  for (const range of bodyRanges ?? []) {
    const start = range.start ?? 0;
    const length = range.length ?? 0;
    const mentionAci = pickAci(range.mentionAci, range.mentionAciBinary);
    if (mentionAci) {
      ranges.push({ start, length, mentionAci });
      continue;
    }
    const style =
      range.style === null || range.style === undefined ? undefined : STYLES_BY_NUMBER.get(range.style);
    if (style) ranges.push({ start, length, style });
  }
  return { text, ranges: normalizeRanges(text, ranges) };
}

/** Writes Signal body ranges. Mentions use the string ACI, which every Signal client reads. */
export function toBodyRanges(styled: StyledText): BodyRange[] {
  return normalizeRanges(styled.text, styled.ranges).map((range) =>
    isMention(range)
      ? { start: range.start, length: range.length, mentionAci: range.mentionAci }
      : { start: range.start, length: range.length, style: STYLE_NUMBERS[range.style] },
  );
}
