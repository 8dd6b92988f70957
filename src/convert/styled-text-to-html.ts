import { escapeHtml, matrixToUserLink, textToHtml } from "./html.js";
import {
  isMention,
  normalizeRanges,
  TEXT_STYLES,
  type StyleRange,
  type StyledText,
  type TextRange,
  type TextStyle,
} from "./styled-text.js";

/** Who a Signal mention points at on Matrix. */
export interface MentionTarget {
  userId: string;
  displayName: string;
}

export interface RenderedText {
  /** Plain text: the Signal text with mentions replaced by the mentioned people's names. */
  body: string;
  /** `org.matrix.custom.html`; every character of the Signal text is escaped. */
  html: string;
  /** Users the text mentions, for `m.mentions`. */
  mentionedUserIds: string[];
}

const OPEN_TAGS: Readonly<Record<TextStyle, string>> = {
  bold: "<strong>",
  italic: "<em>",
  strikethrough: "<del>",
  monospace: "<code>",
  spoiler: "<span data-mx-spoiler>",
};

const CLOSE_TAGS: Readonly<Record<TextStyle, string>> = {
  bold: "</strong>",
  italic: "</em>",
  strikethrough: "</del>",
  monospace: "</code>",
  spoiler: "</span>",
};

interface Segment {
  start: number;
  end: number;
  mention?: { aci: string };
}

/**
 * Renders Signal text and body ranges as Matrix HTML. Overlapping styles are split into
 * properly nested tags; a style that lasts longer is opened outside a shorter one so that
 * tags are reopened as rarely as possible. Takes O(n log n) time for n ranges, however they
 * overlap, plus time linear in the text.
 */
export function styledTextToHtml(
  styled: StyledText,
  mentionTarget: (aci: string) => MentionTarget,
): RenderedText {
  const { text } = styled;
  const ranges = normalizeRanges(text, styled.ranges);
  const styles = new StyleSweep(ranges);
  const segments = splitIntoSegments(text, ranges);

  let body = "";
  let html = "";
  const mentionedUserIds: string[] = [];
  const open: TextStyle[] = [];

  for (const segment of segments) {
    styles.moveTo(segment.start);
    let keep = 0;
    while (keep < open.length && styles.covering(open[keep] as TextStyle)) keep++;
    while (open.length > keep) html += CLOSE_TAGS[open.pop() as TextStyle];
    for (const range of styles.toOpen(open)) {
      html += OPEN_TAGS[range.style];
      open.push(range.style);
    }

    if (segment.mention) {
      const target = mentionTarget(segment.mention.aci);
      body += target.displayName;
      html += `<a href="${escapeHtml(matrixToUserLink(target.userId))}">${textToHtml(target.displayName)}</a>`;
      if (!mentionedUserIds.includes(target.userId)) mentionedUserIds.push(target.userId);
    } else {
      const piece = text.slice(segment.start, segment.end);
      body += piece;
      html += textToHtml(piece);
    }
  }
  while (open.length > 0) html += CLOSE_TAGS[open.pop() as TextStyle];

  return { body, html, mentionedUserIds };
}

function splitIntoSegments(text: string, ranges: readonly TextRange[]): Segment[] {
  const mentions = ranges.filter(isMention);
  const cuts = new Set<number>([0, text.length]);
  for (const range of ranges) {
    cuts.add(range.start);
    cuts.add(range.start + range.length);
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const segments: Segment[] = [];
  let mentionIndex = 0;
  for (let i = 0; i + 1 < sorted.length; i++) {
    const start = sorted[i] as number;
    const end = sorted[i + 1] as number;
    const mention = mentions[mentionIndex];
    if (mention && start >= mention.start) {
      // A mention is one unit even if a style boundary falls inside the text it replaces.
      if (start === mention.start) {
        segments.push({ start, end: mention.start + mention.length, mention: { aci: mention.mentionAci } });
      }
      if (end >= mention.start + mention.length) mentionIndex++;
      continue;
    }
    segments.push({ start, end });
  }
  return segments;
}

/**
 * Sweeps the style ranges of normalised text in order of their starts. Ranges of one style do not
 * overlap, so at any offset each style has at most one range covering it: the latest started.
 * Nothing is allocated per offset (this runs for every piece of every message).
 */
class StyleSweep {
  private next = 0;
  private offset = 0;
  /** By style, in `TEXT_STYLES` order: the latest range of it that started. */
  private readonly latest: (StyleRange | undefined)[] = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ];
  private readonly opening: StyleRange[] = [];

  constructor(private readonly ranges: readonly TextRange[]) {}

  /** Moves to `offset`, which must not be before the last one. */
  moveTo(offset: number): void {
    this.offset = offset;
    for (
      let range = this.ranges[this.next];
      range && range.start <= offset;
      range = this.ranges[++this.next]
    ) {
      if (!isMention(range)) this.latest[TEXT_STYLES.indexOf(range.style)] = range;
    }
  }

  covering(style: TextStyle): StyleRange | undefined {
    const range = this.latest[TEXT_STYLES.indexOf(style)];
    return range && range.start + range.length > this.offset ? range : undefined;
  }

  /**
   * The ranges covering the offset whose styles are not `open`, the one lasting longest first
   * (ties: the one started first, then `TEXT_STYLES` order). Valid until the next call.
   */
  toOpen(open: readonly TextStyle[]): readonly StyleRange[] {
    const { opening } = this;
    opening.length = 0;
    for (const style of TEXT_STYLES) {
      const range = this.covering(style);
      if (range && !open.includes(style)) opening.push(range);
    }
    return opening.sort(longestFirst);
  }
}

function longestFirst(a: StyleRange, b: StyleRange): number {
  return b.start + b.length - (a.start + a.length) || a.start - b.start;
}
