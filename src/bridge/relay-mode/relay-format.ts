// What a relayed Matrix message looks like before it is converted for Signal: the configured
// template for its message type applied, with the sender's name, so the recipients on Signal see
// who wrote it. Pure: the event content and the templates come in, the new content goes out.
import { htmlToStyledText, stripReplyFallback } from "../../convert/index.js";
import { escapeHtml } from "../bot-commands.js";

/** One HTML template per Matrix message type; `{name}` and `{message}` are filled in. */
export interface RelayFormats {
  "m.text": string;
  "m.notice": string;
  "m.emote": string;
  "m.image": string;
  "m.video": string;
  "m.audio": string;
  "m.file": string;
  "m.location": string;
}

const HTML_FORMAT = "org.matrix.custom.html";
const MEDIA_TYPES = new Set(["m.image", "m.video", "m.audio", "m.file"]);

const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** A Matrix event as the relay changes it: type and content only. */
export interface RelayedEvent {
  type: string;
  content: Record<string, unknown>;
}

/**
 * The event with its text (or a file's caption) replaced by the template of its message type.
 * Stickers go as images; an edit gets its new content formatted the same way. Types without a
 * template (reactions, redactions) come back unchanged.
 */
export function relayedEvent(event: RelayedEvent, formats: RelayFormats, senderName: string): RelayedEvent {
  if (event.type === "m.sticker") {
    const content = formatContent({ ...event.content, msgtype: "m.image" }, formats, senderName);
    return { type: "m.room.message", content };
  }
  if (event.type !== "m.room.message") return event;
  const relatesTo = asRecord(event.content["m.relates_to"]);
  const newContent = asRecord(event.content["m.new_content"]);
  if (relatesTo?.["rel_type"] === "m.replace" && newContent) {
    return {
      type: event.type,
      content: { ...event.content, "m.new_content": formatContent(newContent, formats, senderName) },
    };
  }
  return { type: event.type, content: formatContent(event.content, formats, senderName) };
}

function formatContent(
  content: Record<string, unknown>,
  formats: RelayFormats,
  senderName: string,
): Record<string, unknown> {
  const msgtype = asString(content["msgtype"]) ?? "";
  const template = (formats as unknown as Record<string, string | undefined>)[msgtype];
  if (template === undefined) return content;
  const fill = (messageHtml: string) =>
    template.replaceAll("{name}", escapeHtml(senderName)).replaceAll("{message}", messageHtml);

  if (MEDIA_TYPES.has(msgtype)) {
    const body = asString(content["body"]) ?? "";
    const fileName = asString(content["filename"]) || body;
    const hasCaption = body !== "" && body !== fileName;
    const html = fill(hasCaption ? textHtml(content) : escapeHtml(fileName));
    // A body that differs from the file name is what makes the converter send it as the caption.
    return {
      ...content,
      filename: fileName,
      body: plainText(html),
      format: HTML_FORMAT,
      formatted_body: html,
    };
  }
  if (msgtype === "m.location") {
    const label = asString(content["body"]) ?? "";
    return { ...content, body: plainText(fill(escapeHtml(label))) };
  }
  // The original body stays: the converter takes the quoted text of a reply from its fallback.
  return { ...content, msgtype: "m.text", format: HTML_FORMAT, formatted_body: fill(textHtml(content)) };
}

/** The message's text as HTML: its own formatting when it has some, else its escaped body. */
function textHtml(content: Record<string, unknown>): string {
  const formatted = asString(content["formatted_body"]);
  if (content["format"] === HTML_FORMAT && formatted !== undefined) return formatted;
  const isReply = asRecord(asRecord(content["m.relates_to"])?.["m.in_reply_to"]) !== undefined;
  const body = asString(content["body"]) ?? "";
  const text = isReply ? stripReplyFallback(body).body : body;
  return escapeHtml(text).replaceAll("\n", "<br>");
}

function plainText(html: string): string {
  return htmlToStyledText(html, () => undefined).text;
}
