import { Tokenizer, type TokenizerCallbacks } from "htmlparser2";

/** Receives HTML as a flat stream of tags and text; nesting is the receiver's business. */
export interface HtmlHandler {
  /**
   * `tag` is lower case; `attributes` has lower-case names and decoded values (read it by name:
   * an attribute called `__proto__` or `toString` is not one of its own properties).
   */
  open(tag: string, attributes: Readonly<Record<string, string>>): void;
  /** Void elements (`br`, `img` ...) are closed right after they open. */
  close(tag: string): void;
  /** Decoded text, possibly in several pieces. */
  text(text: string): void;
  /** True once the handler wants no more: reading stops there. */
  readonly done: boolean;
}

const VOID_ELEMENTS = new Set([
  "area",
  "base",
  "basefont",
  "br",
  "col",
  "embed",
  "hr",
  "img",
  "input",
  "keygen",
  "link",
  "meta",
  "param",
  "source",
  "track",
  "wbr",
]);

/**
 * Reads HTML in time linear in its length, whatever its nesting. htmlparser2's `Parser` keeps its
 * open elements in an array it unshifts and shifts on every tag and searches on every end tag,
 * which makes deeply nested input quadratic (100 000 nested lists took over 8 s); its `Tokenizer`
 * is linear and does the hard parts (entities, attributes, comments, the raw text of scripts and
 * styles, broken markup), so this reads tokens and leaves element nesting to the handler.
 */
export function readHtml(html: string, handler: HtmlHandler): void {
  const reader = new TokenReader(html, handler);
  const tokenizer = new Tokenizer({ decodeEntities: true }, reader);
  reader.stop = () => tokenizer.pause();
  tokenizer.write(html);
  tokenizer.end();
}

class TokenReader implements TokenizerCallbacks {
  stop: () => void = () => undefined;
  private tag = "";
  private attributes: Record<string, string> = {};
  private attributeName = "";
  private attributeValue = "";

  constructor(
    private readonly html: string,
    private readonly handler: HtmlHandler,
  ) {}

  ontext(start: number, endIndex: number): void {
    this.emitText(this.html.slice(start, endIndex));
  }

  ontextentity(codepoint: number): void {
    this.emitText(String.fromCodePoint(codepoint));
  }

  onopentagname(start: number, endIndex: number): void {
    this.tag = this.html.slice(start, endIndex).toLowerCase();
    this.attributes = {};
  }

  onattribname(start: number, endIndex: number): void {
    this.attributeName = this.html.slice(start, endIndex).toLowerCase();
    this.attributeValue = "";
  }

  onattribdata(start: number, endIndex: number): void {
    this.attributeValue += this.html.slice(start, endIndex);
  }

  onattribentity(codepoint: number): void {
    this.attributeValue += String.fromCodePoint(codepoint);
  }

  onattribend(): void {
    // As in a browser, the first of repeated attributes counts.
    if (!Object.hasOwn(this.attributes, this.attributeName)) {
      this.attributes[this.attributeName] = this.attributeValue;
    }
  }

  onopentagend(): void {
    this.handler.open(this.tag, this.attributes);
    if (VOID_ELEMENTS.has(this.tag)) this.handler.close(this.tag);
    this.checkDone();
  }

  onselfclosingtag(): void {
    // In HTML "/>" closes nothing: only void elements are empty.
    this.onopentagend();
  }

  onclosetag(start: number, endIndex: number): void {
    const tag = this.html.slice(start, endIndex).toLowerCase();
    if (!VOID_ELEMENTS.has(tag)) {
      this.handler.close(tag);
    } else if (tag === "br") {
      // Browsers read a stray </br> as <br>.
      this.handler.open("br", {});
      this.handler.close("br");
    }
    this.checkDone();
  }

  oncdata(): void {}
  oncomment(): void {}
  ondeclaration(): void {}
  onprocessinginstruction(): void {}
  onend(): void {}

  private emitText(text: string): void {
    this.handler.text(text);
    this.checkDone();
  }

  private checkDone(): void {
    if (this.handler.done) this.stop();
  }
}
