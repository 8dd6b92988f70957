/**
 * Text with formatting, in Signal's model: a plain string plus ranges over it.
 *
 * Offsets and lengths count UTF-16 code units (JavaScript string indices), exactly like
 * Signal's `BodyRange.start`/`length`. A range is either a style or a mention; a mention
 * normally covers one U+FFFC placeholder in the text. `toBodyRanges`/`fromBodyRanges`
 * map these 1:1 onto the protobuf `BodyRange`.
 */
import { CUT_MARK, fitsUtf8, MAX_RANGES_PER_KIND, utf8Length, utf8PrefixLength } from "./text-limits.js";
import { isHighSurrogate, isLowSurrogate } from "./utf16.js";

export const TEXT_STYLES = ["bold", "italic", "strikethrough", "monospace", "spoiler"] as const;
export type TextStyle = (typeof TEXT_STYLES)[number];

export interface StyleRange {
  start: number;
  length: number;
  style: TextStyle;
}

export interface MentionRange {
  start: number;
  length: number;
  mentionAci: string;
}

export type TextRange = StyleRange | MentionRange;

export interface StyledText {
  text: string;
  ranges: TextRange[];
}

/** The object replacement character Signal puts in the text where a mention is shown. */
export const MENTION_PLACEHOLDER = "\uFFFC";

export function isMention(range: TextRange): range is MentionRange {
  return "mentionAci" in range;
}

/** Moves an offset that falls between the halves of a surrogate pair to the pair's start. */
function snapBack(text: string, offset: number): number {
  if (offset > 0 && offset < text.length) {
    if (isLowSurrogate(text.charCodeAt(offset)) && isHighSurrogate(text.charCodeAt(offset - 1))) {
      return offset - 1;
    }
  }
  return offset;
}

/** Moves an offset that falls between the halves of a surrogate pair to the pair's end. */
function snapForward(text: string, offset: number): number {
  if (offset > 0 && offset < text.length) {
    if (isLowSurrogate(text.charCodeAt(offset)) && isHighSurrogate(text.charCodeAt(offset - 1))) {
      return offset + 1;
    }
  }
  return offset;
}

/**
 * Makes ranges safe to render: clamps them into the text, widens them so no range splits a
 * surrogate pair (a half emoji cannot be shown or styled), drops empty ones, drops mentions
 * that overlap an earlier mention (one piece of text cannot be two people) and merges
 * overlapping or touching ranges of the same style, keeping the first `MAX_RANGES_PER_KIND` of
 * each style and of mentions. The result is sorted by start, styles in `TEXT_STYLES` order
 * before mentions at the same offset, so that equivalent formatting always normalises to the
 * same list. Takes O(n log n) time for n ranges, whatever their overlaps.
 */
export function normalizeRanges(text: string, ranges: readonly TextRange[]): TextRange[] {
  const clamped: TextRange[] = [];
  for (const range of ranges) {
    const rawStart = Number.isFinite(range.start) ? Math.trunc(range.start) : 0;
    const rawLength = Number.isFinite(range.length) ? Math.trunc(range.length) : 0;
    const start = snapBack(text, Math.min(Math.max(rawStart, 0), text.length));
    const end = snapForward(text, Math.min(Math.max(rawStart + rawLength, start), text.length));
    if (end <= start) continue;
    clamped.push(
      isMention(range)
        ? { start, length: end - start, mentionAci: range.mentionAci }
        : { start, length: end - start, style: range.style },
    );
  }

  const result: TextRange[] = [];
  for (const style of TEXT_STYLES) {
    const spans = clamped
      .filter((r): r is StyleRange => !isMention(r) && r.style === style)
      .sort((a, b) => a.start - b.start);
    let current: StyleRange | undefined;
    let kept = 0;
    for (const span of spans) {
      if (current && span.start <= current.start + current.length) {
        current.length = Math.max(current.length, span.start + span.length - current.start);
      } else {
        if (kept === MAX_RANGES_PER_KIND) break;
        current = { start: span.start, length: span.length, style };
        result.push(current);
        kept++;
      }
    }
  }

  const mentions = clamped.filter(isMention).sort((a, b) => a.start - b.start);
  let mentionEnd = 0;
  let keptMentions = 0;
  for (const mention of mentions) {
    if (mention.start < mentionEnd) continue;
    if (keptMentions === MAX_RANGES_PER_KIND) break;
    result.push(mention);
    mentionEnd = mention.start + mention.length;
    keptMentions++;
  }

  return result.sort(compareRanges);
}

function rangeOrder(range: TextRange): number {
  return isMention(range) ? TEXT_STYLES.length : TEXT_STYLES.indexOf(range.style);
}

function compareRanges(a: TextRange, b: TextRange): number {
  return a.start - b.start || rangeOrder(a) - rangeOrder(b) || a.length - b.length;
}

/**
 * The styled text if its text fits in `maxBytes` of UTF-8; else as much as fits with `mark`
 * after it, ranges ending where the kept text ends (the mark itself is never styled).
 */
export function capStyledText(styled: StyledText, maxBytes: number, mark = CUT_MARK): StyledText {
  const { text } = styled;
  if (fitsUtf8(text, maxBytes)) return styled;
  const kept = utf8PrefixLength(text, Math.max(maxBytes - utf8Length(mark), 0));
  const ranges: TextRange[] = [];
  for (const range of styled.ranges) {
    if (range.start >= kept) continue;
    if (isMention(range)) {
      if (range.start + range.length <= kept) ranges.push(range);
      continue;
    }
    ranges.push({ ...range, length: Math.min(range.length, kept - range.start) });
  }
  return { text: text.slice(0, kept) + mark, ranges };
}
