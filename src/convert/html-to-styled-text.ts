import { readHtml } from "./html-reader.js";
import { userIdFromLink } from "./html.js";
import {
  MENTION_PLACEHOLDER,
  normalizeRanges,
  type StyledText,
  type TextRange,
  type TextStyle,
} from "./styled-text.js";
import { CUT_MARK, MAX_TEXT_BYTES, utf8Length, utf8PrefixLength } from "./text-limits.js";

/** Resolves the Signal account (ACI) behind a Matrix user, for turning pills into mentions. */
export type AciOfMatrixUser = (userId: string) => string | undefined;

/**
 * Elements nested deeper than this give only their text (and line breaks): no style, link,
 * list marker, indentation or quote prefix of their own. Element itself shows no more than 50
 * levels (its sanitizer's nesting limit). At 32, a quoted line already starts with 64 characters
 * of "> " and a nested list (a list and its item are two levels) is indented by 30 spaces, about
 * what a phone shows on a line: nothing a reader could follow is lost, and what a line costs on
 * top of its text stays bounded.
 */
export const MAX_NESTING_DEPTH = 32;

const STYLE_TAGS: ReadonlyMap<string, TextStyle> = new Map([
  ["b", "bold"],
  ["strong", "bold"],
  ["i", "italic"],
  ["em", "italic"],
  ["cite", "italic"],
  ["s", "strikethrough"],
  ["del", "strikethrough"],
  ["strike", "strikethrough"],
  ["code", "monospace"],
  ["tt", "monospace"],
  ["kbd", "monospace"],
  ["samp", "monospace"],
  ["pre", "monospace"],
  ["h1", "bold"],
  ["h2", "bold"],
  ["h3", "bold"],
  ["h4", "bold"],
  ["h5", "bold"],
  ["h6", "bold"],
]);

/** Blocks start on a new line; paragraphs are set apart by an empty line, like in Markdown. */
const BLOCK_TAGS: ReadonlyMap<string, 1 | 2> = new Map([
  ["p", 2],
  ...[
    "div",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "table",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "details",
    "summary",
    "section",
    "article",
    "header",
    "footer",
    "figure",
    "figcaption",
  ].map((tag): [string, 1] => [tag, 1]),
]);

/** Elements whose content is not message text: reply fallbacks, scripts, styles, metadata. */
const HIDDEN_TAGS = new Set([
  "mx-reply",
  "script",
  "style",
  "head",
  "title",
  "template",
  "noscript",
  "iframe",
  "object",
  "svg",
  "math",
]);

/** Containers in which whitespace-only text is source formatting, not content. */
const WHITESPACE_CONTAINERS = new Set(["ul", "ol", "table", "thead", "tbody", "tfoot", "tr", "dl"]);

const PARAGRAPH = new Set(["p"]);
const HEADING = new Set(["p", "h1", "h2", "h3", "h4", "h5", "h6"]);
const CELL = new Set(["td", "th"]);
const DEFINITION = new Set(["dd", "dt"]);

/**
 * Opening one of these first ends the innermost open element if it is of the listed kinds, as in
 * a browser: `<li>a<li>b` is two items, `<p>a<div>b` a paragraph and then a block.
 */
const IMPLIED_CLOSES: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["li", new Set(["li"])],
  ["a", new Set(["a"])],
  ["tr", new Set(["tr", "td", "th"])],
  ["td", CELL],
  ["th", CELL],
  ["dd", DEFINITION],
  ["dt", DEFINITION],
  ...["h1", "h2", "h3", "h4", "h5", "h6"].map((tag): [string, Set<string>] => [tag, HEADING]),
  ...[
    "p",
    "div",
    "ul",
    "ol",
    "dl",
    "blockquote",
    "pre",
    "table",
    "hr",
    "details",
    "section",
    "article",
    "header",
    "footer",
    "figure",
    "figcaption",
  ].map((tag): [string, Set<string>] => [tag, PARAGRAPH]),
]);

const LINK_SCHEMES = /^(https?:|mailto:|tel:|geo:|sgnl:|signal\.me)/i;

const CUT_MARK_BYTES = utf8Length(CUT_MARK);

interface ListState {
  ordered: boolean;
  next: number;
  /** 1 for a list that is in no other list. */
  depth: number;
}

interface Frame {
  tag: string;
  /** Nested deeper than MAX_NESTING_DEPTH: gives only its text and line breaks. */
  flat: boolean;
  /** The innermost list and table row the element is in (its own if it is one), found without a search. */
  list: ListState | undefined;
  row: { cells: number } | undefined;
  /** Offset and output piece where this element's text starts; unset until its first character is written. */
  start: number | undefined;
  startPiece: number | undefined;
  style: TextStyle | undefined;
  block: 1 | 2 | undefined;
  hidden: boolean;
  href: string | undefined;
  pre: boolean;
  quote: boolean;
}

/**
 * Converts Matrix `formatted_body` HTML to Signal text and body ranges. Never throws: unknown
 * elements contribute their text, hidden ones (scripts, reply fallbacks) nothing, and broken
 * markup is read the way a browser would. Takes time linear in the length of the HTML whatever
 * its nesting (elements deeper than `MAX_NESTING_DEPTH` are read as plain text), and the text
 * is at most `MAX_TEXT_BYTES` long: longer text is cut and ends with `CUT_MARK`.
 */
export function htmlToStyledText(html: string, aciOfMatrixUser: AciOfMatrixUser): StyledText {
  const writer = new StyledTextWriter(aciOfMatrixUser);
  readHtml(html, writer);
  return writer.result();
}

class StyledTextWriter {
  /** The text so far, in pieces joined once at the end (reading a growing string would copy it). */
  private readonly pieces: string[] = [];
  private length = 0;
  private bytes = 0;
  private trailingNewlines = 0;
  /** Where the kept text ends once the text was cut at MAX_TEXT_BYTES; nothing is written after. */
  private cutAt: number | undefined;
  private readonly ranges: TextRange[] = [];
  private readonly stack: Frame[] = [];
  /** How many elements of each name are open, so an end tag with nothing to end costs nothing. */
  private readonly openCount = new Map<string, number>();
  /** Frames opened since the last character was written; their text starts at the next one. */
  private unstarted: Frame[] = [];
  private hiddenDepth = 0;
  private preDepth = 0;
  private quoteDepth = 0;
  private pendingBreak = 0;
  private pendingPreNewlines = 0;

  constructor(private readonly aciOfMatrixUser: AciOfMatrixUser) {}

  get done(): boolean {
    return this.cutAt !== undefined;
  }

  open(tag: string, attributes: Readonly<Record<string, string>>): void {
    this.closeImplied(tag);
    const parent = this.stack.at(-1);
    // Every field set at once: frames of one shape keep property reads fast.
    const frame: Frame = {
      tag,
      flat: this.stack.length >= MAX_NESTING_DEPTH,
      list: parent?.list,
      row: parent?.row,
      start: undefined,
      startPiece: undefined,
      style: undefined,
      block: undefined,
      hidden: false,
      href: undefined,
      pre: false,
      quote: false,
    };
    this.stack.push(frame);
    this.openCount.set(tag, (this.openCount.get(tag) ?? 0) + 1);
    if (this.hiddenDepth > 0 || HIDDEN_TAGS.has(tag)) {
      frame.hidden = true;
      this.hiddenDepth++;
      return;
    }

    const block = BLOCK_TAGS.get(tag);
    if (block) {
      frame.block = block;
      this.requestBreak(block);
    }
    const style = STYLE_TAGS.get(tag) ?? ("data-mx-spoiler" in attributes ? "spoiler" : undefined);
    if (style && !frame.flat) {
      frame.style = style;
      this.unstarted.push(frame);
    }

    switch (tag) {
      case "br":
        this.write("\n");
        return;
      case "hr":
        this.write("---");
        return;
      case "img": {
        const alt = attributes.alt ?? attributes.title;
        if (alt) this.write(alt.replace(/[\r\n]+/g, " "));
        return;
      }
    }
    if (frame.flat) return;

    switch (tag) {
      case "pre":
        frame.pre = true;
        this.preDepth++;
        break;
      case "blockquote":
        frame.quote = true;
        this.quoteDepth++;
        break;
      case "ul":
      case "ol": {
        const start = Number.parseInt(attributes.start ?? "1", 10);
        frame.list = {
          ordered: tag === "ol",
          next: Number.isSafeInteger(start) ? start : 1,
          depth: (parent?.list?.depth ?? 0) + 1,
        };
        break;
      }
      case "li":
        this.writeListMarker(frame.list);
        break;
      case "table":
        frame.row = undefined;
        break;
      case "tr":
        frame.row = { cells: 0 };
        break;
      case "td":
      case "th":
        this.writeCellSeparator(frame.row);
        break;
      case "a":
        this.openLink(frame, attributes.href ?? "");
        break;
    }
  }

  close(tag: string): void {
    if (!this.openCount.get(tag)) {
      // HTML reads an end tag of a paragraph that is not open as an empty paragraph.
      if (tag === "p") {
        this.open("p", {});
        this.pop();
      }
      return;
    }
    while (this.pop().tag !== tag);
  }

  text(raw: string): void {
    if (this.hiddenDepth > 0 || this.done) return;
    if (this.preDepth > 0) {
      const lines = raw.replace(/\r\n?/g, "\n").split("\n");
      lines.forEach((line, i) => {
        if (i > 0) this.pendingPreNewlines++;
        if (line) this.write(line);
      });
      return;
    }
    // Outside <pre>, line breaks in the source are formatting; <br> and blocks make real ones.
    const text = raw.replace(/[\r\n]/g, "");
    if (!text) return;
    const parent = this.stack.at(-1);
    const onlySpace = !/\S/.test(text);
    if (onlySpace && (this.pendingBreak > 0 || (parent && WHITESPACE_CONTAINERS.has(parent.tag)))) return;
    this.write(text);
  }

  result(): StyledText {
    while (this.stack.length > 0) this.pop();
    const text = this.pieces.join("");
    return { text, ranges: normalizeRanges(text, this.ranges) };
  }

  private closeImplied(tag: string): void {
    const closes = IMPLIED_CLOSES.get(tag);
    if (!closes) return;
    while (this.stack.length > 0 && closes.has((this.stack.at(-1) as Frame).tag)) this.pop();
  }

  private pop(): Frame {
    const frame = this.stack.pop() as Frame;
    this.openCount.set(frame.tag, (this.openCount.get(frame.tag) as number) - 1);
    this.finish(frame);
    return frame;
  }

  private finish(frame: Frame): void {
    if (frame.hidden) {
      this.hiddenDepth--;
      return;
    }
    if (frame.href !== undefined) this.closeLink(frame);
    const end = this.cutAt ?? this.length;
    if (frame.style && frame.start !== undefined && end > frame.start) {
      this.ranges.push({ start: frame.start, length: end - frame.start, style: frame.style });
    }
    if (frame.pre) {
      this.preDepth--;
      // The newline that ends the last line of a code block is not an empty line after it.
      this.pendingPreNewlines = 0;
    }
    if (frame.quote) this.quoteDepth--;
    if (frame.block) this.requestBreak(frame.block);
    // Frames close in reverse order of opening, so an unstarted one is the last unstarted.
    if (this.unstarted.at(-1) === frame) this.unstarted.pop();
  }

  private openLink(frame: Frame, href: string): void {
    const userId = userIdFromLink(href);
    if (userId !== undefined) {
      const aci = this.aciOfMatrixUser(userId);
      if (aci !== undefined) {
        const start = this.write(MENTION_PLACEHOLDER);
        if (!this.done) this.ranges.push({ start, length: MENTION_PLACEHOLDER.length, mentionAci: aci });
        // The pill's text is the person's Matrix name; Signal shows its own name for them.
        frame.hidden = true;
        this.hiddenDepth++;
      }
      // A pill for someone not on Signal stays as their name.
      return;
    }
    if (LINK_SCHEMES.test(href.trim())) {
      frame.href = href.trim();
      this.unstarted.push(frame);
    }
  }

  private closeLink(frame: Frame): void {
    const href = frame.href as string;
    // Links do not nest deeper than MAX_NESTING_DEPTH, so reading labels stays linear.
    const label = frame.startPiece === undefined ? "" : this.pieces.slice(frame.startPiece).join("").trim();
    if (!label) {
      this.write(href);
      return;
    }
    const bare = href.replace(/^(mailto:|tel:|https?:\/\/)/i, "").replace(/\/$/, "");
    const shown = label.replace(/^(https?:\/\/)/i, "").replace(/\/$/, "");
    if (label !== href && shown !== bare) this.write(` (${href})`);
  }

  private writeListMarker(list: ListState | undefined): void {
    const indent = "  ".repeat(Math.max((list?.depth ?? 0) - 1, 0));
    if (list?.ordered) {
      this.write(`${indent}${list.next}. `);
      list.next++;
    } else {
      this.write(`${indent}• `);
    }
  }

  private writeCellSeparator(row: { cells: number } | undefined): void {
    if (!row) return;
    if (row.cells) this.write(" | ");
    row.cells++;
  }

  private requestBreak(level: 1 | 2): void {
    this.pendingBreak = Math.max(this.pendingBreak, level);
  }

  /**
   * Writes one line of text, or a single "\n", after any pending line breaks and the quote
   * markers a new line needs. Returns the offset where the text starts.
   */
  private write(text: string): number {
    if (this.pendingPreNewlines > 0) {
      this.append("\n".repeat(this.pendingPreNewlines));
      this.pendingPreNewlines = 0;
    }
    if (this.pendingBreak > 0 && this.length > 0) {
      this.append("\n".repeat(this.pendingBreak - Math.min(this.trailingNewlines, this.pendingBreak)));
    }
    this.pendingBreak = 0;
    if (text !== "\n" && this.quoteDepth > 0 && (this.length === 0 || this.trailingNewlines > 0)) {
      this.append("> ".repeat(this.quoteDepth));
    }
    const start = this.length;
    for (const frame of this.unstarted) {
      frame.start = start;
      frame.startPiece = this.pieces.length;
    }
    this.unstarted = [];
    this.append(text);
    return start;
  }

  /** Adds to the text, or as much as fits before the cut and then the cut mark. */
  private append(piece: string): void {
    if (this.done || !piece) return;
    const size = utf8Length(piece);
    if (this.bytes + size + CUT_MARK_BYTES <= MAX_TEXT_BYTES) {
      this.pieces.push(piece);
      this.length += piece.length;
      this.bytes += size;
      this.countTrailingNewlines(piece);
      return;
    }
    const kept = piece.slice(0, utf8PrefixLength(piece, MAX_TEXT_BYTES - CUT_MARK_BYTES - this.bytes));
    this.pieces.push(kept, CUT_MARK);
    this.length += kept.length;
    this.cutAt = this.length;
    this.length += CUT_MARK.length;
  }

  private countTrailingNewlines(piece: string): void {
    let count = 0;
    while (count < piece.length && piece.charCodeAt(piece.length - 1 - count) === 10) count++;
    this.trailingNewlines = count === piece.length ? this.trailingNewlines + count : count;
  }
}
