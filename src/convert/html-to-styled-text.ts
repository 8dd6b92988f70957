import { Parser } from "htmlparser2";
import { userIdFromLink } from "./html.js";
import {
  MENTION_PLACEHOLDER,
  normalizeRanges,
  type StyledText,
  type TextRange,
  type TextStyle,
} from "./styled-text.js";

/** Resolves the Signal account (ACI) behind a Matrix user, for turning pills into mentions. */
export type AciOfMatrixUser = (userId: string) => string | undefined;

const STYLE_TAGS: Readonly<Record<string, TextStyle>> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  cite: "italic",
  s: "strikethrough",
  del: "strikethrough",
  strike: "strikethrough",
  code: "monospace",
  tt: "monospace",
  kbd: "monospace",
  samp: "monospace",
  pre: "monospace",
  h1: "bold",
  h2: "bold",
  h3: "bold",
  h4: "bold",
  h5: "bold",
  h6: "bold",
};

/** Blocks start on a new line; paragraphs are set apart by an empty line, like in Markdown. */
const BLOCK_TAGS: Readonly<Record<string, 1 | 2>> = {
  p: 2,
  div: 1,
  pre: 1,
  blockquote: 1,
  ul: 1,
  ol: 1,
  li: 1,
  dl: 1,
  dt: 1,
  dd: 1,
  table: 1,
  tr: 1,
  h1: 1,
  h2: 1,
  h3: 1,
  h4: 1,
  h5: 1,
  h6: 1,
  hr: 1,
  details: 1,
  summary: 1,
  section: 1,
  article: 1,
  header: 1,
  footer: 1,
  figure: 1,
  figcaption: 1,
};

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

const LINK_SCHEMES = /^(https?:|mailto:|tel:|geo:|sgnl:|signal\.me)/i;

interface Frame {
  tag: string;
  /** Offset where this element's text starts; undefined until its first character is written. */
  start: number | undefined;
  style?: TextStyle;
  block?: 1 | 2;
  hidden?: boolean;
  href?: string;
  pre?: boolean;
  quote?: boolean;
  list?: { ordered: boolean; next: number };
  cells?: number;
}

/**
 * Converts Matrix `formatted_body` HTML to Signal text and body ranges. Never throws:
 * unknown elements contribute their text, hidden ones (scripts, reply fallbacks) nothing,
 * and broken markup is read the way a browser would. Parsing is streaming, so nesting depth
 * costs memory but never recursion.
 */
export function htmlToStyledText(html: string, aciOfMatrixUser: AciOfMatrixUser): StyledText {
  const writer = new StyledTextWriter(aciOfMatrixUser);
  const parser = new Parser(
    {
      onopentag: (name, attributes) => writer.open(name, attributes),
      onclosetag: (name) => writer.close(name),
      ontext: (text) => writer.text(text),
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return writer.result();
}

class StyledTextWriter {
  private out = "";
  private readonly ranges: TextRange[] = [];
  private readonly stack: Frame[] = [];
  /** Frames opened since the last character was written; their text starts at the next one. */
  private unstarted: Frame[] = [];
  private hiddenDepth = 0;
  private preDepth = 0;
  private quoteDepth = 0;
  private listDepth = 0;
  private pendingBreak = 0;
  private pendingPreNewlines = 0;

  constructor(private readonly aciOfMatrixUser: AciOfMatrixUser) {}

  open(tag: string, attributes: Readonly<Record<string, string>>): void {
    const frame: Frame = { tag, start: undefined };
    this.stack.push(frame);
    if (this.hiddenDepth > 0 || HIDDEN_TAGS.has(tag)) {
      frame.hidden = true;
      this.hiddenDepth++;
      return;
    }

    const block = BLOCK_TAGS[tag];
    if (block) {
      frame.block = block;
      this.requestBreak(block);
    }
    const style = STYLE_TAGS[tag] ?? ("data-mx-spoiler" in attributes ? "spoiler" : undefined);
    if (style) {
      frame.style = style;
      this.unstarted.push(frame);
    }

    switch (tag) {
      case "br":
        this.write("\n");
        break;
      case "hr":
        this.write("---");
        break;
      case "img": {
        const alt = attributes.alt ?? attributes.title;
        if (alt) this.write(alt.replace(/[\r\n]+/g, " "));
        break;
      }
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
        frame.list = { ordered: tag === "ol", next: Number.isSafeInteger(start) ? start : 1 };
        this.listDepth++;
        break;
      }
      case "li":
        this.writeListMarker();
        break;
      case "td":
      case "th":
        this.writeCellSeparator();
        break;
      case "a":
        this.openLink(frame, attributes.href ?? "");
        break;
    }
  }

  close(tag: string): void {
    const index = this.stack.findLastIndex((frame) => frame.tag === tag);
    if (index < 0) return;
    while (this.stack.length > index) this.finish(this.stack.pop() as Frame);
  }

  text(raw: string): void {
    if (this.hiddenDepth > 0) return;
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
    while (this.stack.length > 0) this.finish(this.stack.pop() as Frame);
    return { text: this.out, ranges: normalizeRanges(this.out, this.ranges) };
  }

  private finish(frame: Frame): void {
    if (frame.hidden) {
      this.hiddenDepth--;
      return;
    }
    if (frame.href !== undefined) this.closeLink(frame);
    if (frame.style && frame.start !== undefined && this.out.length > frame.start) {
      this.ranges.push({ start: frame.start, length: this.out.length - frame.start, style: frame.style });
    }
    if (frame.pre) {
      this.preDepth--;
      // The newline that ends the last line of a code block is not an empty line after it.
      this.pendingPreNewlines = 0;
    }
    if (frame.quote) this.quoteDepth--;
    if (frame.list) this.listDepth--;
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
        this.ranges.push({ start, length: MENTION_PLACEHOLDER.length, mentionAci: aci });
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
    const label = frame.start === undefined ? "" : this.out.slice(frame.start).trim();
    if (!label) {
      this.write(href);
      return;
    }
    const bare = href.replace(/^(mailto:|tel:|https?:\/\/)/i, "").replace(/\/$/, "");
    const shown = label.replace(/^(https?:\/\/)/i, "").replace(/\/$/, "");
    if (label !== href && shown !== bare) this.write(` (${href})`);
  }

  private writeListMarker(): void {
    const list = this.stack.findLast((frame) => frame.list !== undefined)?.list;
    const indent = "  ".repeat(Math.max(this.listDepth - 1, 0));
    if (list?.ordered) {
      this.write(`${indent}${list.next}. `);
      list.next++;
    } else {
      this.write(`${indent}• `);
    }
  }

  private writeCellSeparator(): void {
    const row = this.stack.findLast((frame) => frame.tag === "tr");
    if (!row) return;
    if (row.cells) this.write(" | ");
    row.cells = (row.cells ?? 0) + 1;
  }

  private requestBreak(level: 1 | 2): void {
    this.pendingBreak = Math.max(this.pendingBreak, level);
  }

  private flushPreNewlines(): void {
    if (this.pendingPreNewlines > 0) {
      this.out += "\n".repeat(this.pendingPreNewlines);
      this.pendingPreNewlines = 0;
    }
  }

  /**
   * Appends one line of text, or a single "\n", after any pending line breaks and the quote
   * markers a new line needs. Returns the offset where the text starts.
   */
  private write(text: string): number {
    this.flushPreNewlines();
    if (this.pendingBreak > 0 && this.out.length > 0) {
      let trailing = 0;
      while (trailing < this.pendingBreak && this.out[this.out.length - 1 - trailing] === "\n") trailing++;
      this.out += "\n".repeat(this.pendingBreak - trailing);
    }
    this.pendingBreak = 0;
    if (text !== "\n" && this.quoteDepth > 0 && (this.out.length === 0 || this.out.endsWith("\n"))) {
      this.out += "> ".repeat(this.quoteDepth);
    }
    const start = this.out.length;
    for (const frame of this.unstarted) frame.start = start;
    this.unstarted = [];
    this.out += text;
    return start;
  }
}
