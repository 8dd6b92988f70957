import { escapeHtml, matrixToUserLink, textToHtml } from "./html.js";
import {
  isMention,
  normalizeRanges,
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
  const styles = new StyleCursor(ranges);
  const segments = splitIntoSegments(text, ranges);

  let body = "";
  let html = "";
  const mentionedUserIds: string[] = [];
  const open: TextStyle[] = [];

  for (const segment of segments) {
    const active = styles.at(segment.start);
    let keep = 0;
    while (keep < open.length && active.has(open[keep] as TextStyle)) keep++;
    while (open.length > keep) html += CLOSE_TAGS[open.pop() as TextStyle];
    const toOpen = [...active.keys()]
      .filter((style) => !open.includes(style))
      .sort((a, b) => (active.get(b) as number) - (active.get(a) as number));
    for (const style of toOpen) {
      html += OPEN_TAGS[style];
      open.push(style);
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
 * Reads the style ranges of normalised text in one pass: of each style they are sorted and do
 * not overlap, so a cursor per style only moves forward.
 */
class StyleCursor {
  private readonly runs = new Map<TextStyle, { ranges: StyleRange[]; next: number }>();

  constructor(ranges: readonly TextRange[]) {
    for (const range of ranges) {
      if (isMention(range)) continue;
      const run = this.runs.get(range.style);
      if (run) run.ranges.push(range);
      else this.runs.set(range.style, { ranges: [range], next: 0 });
    }
  }

  /** The styles covering `offset` and where each ends; `offset` must not decrease between calls. */
  at(offset: number): Map<TextStyle, number> {
    const active = new Map<TextStyle, number>();
    for (const [style, run] of this.runs) {
      let range = run.ranges[run.next];
      while (range && range.start + range.length <= offset) range = run.ranges[++run.next];
      if (range && range.start <= offset) active.set(style, range.start + range.length);
    }
    return active;
  }
}
