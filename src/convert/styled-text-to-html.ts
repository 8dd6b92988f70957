import { escapeHtml, matrixToUserLink, textToHtml } from "./html.js";
import {
  isMention,
  normalizeRanges,
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
 * tags are reopened as rarely as possible.
 */
export function styledTextToHtml(
  styled: StyledText,
  mentionTarget: (aci: string) => MentionTarget,
): RenderedText {
  const { text } = styled;
  const ranges = normalizeRanges(text, styled.ranges);
  const styleRanges = ranges.filter((r) => !isMention(r));
  const segments = splitIntoSegments(text, ranges);

  let body = "";
  let html = "";
  const mentionedUserIds: string[] = [];
  const open: TextStyle[] = [];

  for (const segment of segments) {
    const active = activeStyles(styleRanges, segment.start);
    let keep = 0;
    while (keep < open.length && active.has(open[keep] as TextStyle)) keep++;
    while (open.length > keep) html += CLOSE_TAGS[open.pop() as TextStyle];
    const toOpen = [...active]
      .filter((style) => !open.includes(style))
      .sort((a, b) => runEnd(styleRanges, b, segment.start) - runEnd(styleRanges, a, segment.start));
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

function activeStyles(styleRanges: readonly TextRange[], offset: number): Set<TextStyle> {
  const active = new Set<TextStyle>();
  for (const range of styleRanges) {
    if (!isMention(range) && range.start <= offset && offset < range.start + range.length) {
      active.add(range.style);
    }
  }
  return active;
}

/** Where the (merged, hence unique) range of `style` covering `offset` ends. */
function runEnd(styleRanges: readonly TextRange[], style: TextStyle, offset: number): number {
  for (const range of styleRanges) {
    if (!isMention(range) && range.style === style && range.start <= offset) {
      const end = range.start + range.length;
      if (offset < end) return end;
    }
  }
  return offset;
}
