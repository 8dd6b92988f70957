import type { signalservice } from "../proto/generated/signal.js";
import { fromBodyRanges } from "./body-ranges.js";
import { escapeHtml, matrixToEventLink, matrixToUserLink, textToHtml } from "./html.js";
import { HTML_FORMAT, type LinkPreview, type MessageContent } from "./matrix-content.js";
import { pickAci } from "./service-id.js";
import type { SignalToMatrixContext } from "./signal-to-matrix-context.js";
import { capStyledText, isMention, type StyledText } from "./styled-text.js";
import { styledTextToHtml, type RenderedText } from "./styled-text-to-html.js";
import { capText, fitsUtf8, jsonLength, jsonPrefixLength, MAX_TEXT_BYTES } from "./text-limits.js";

/**
 * How much of a Matrix event the text of a message may take, counted as in the event's JSON.
 * Homeservers refuse events over 64 KiB, counting the whole event with its signatures and
 * references (1-2 KiB). The rest leaves room for a reply's quotation and a link preview, whose
 * texts are capped at `QUOTE_BYTES` and `PREVIEW_FIELD_BYTES` (a few KiB of JSON and HTML even
 * when every character needs escaping).
 */
export const MAX_MATRIX_TEXT_BYTES = 40 * 1024;
const QUOTE_BYTES = 1024;
const PREVIEW_FIELD_BYTES = 1024;
/** Longer URLs are not previewed (a URL cannot be cut). Browsers and servers commonly stop at 2 KiB. */
const MAX_URL_BYTES = 2048;

/** Ends text cut to fit in a Matrix event. */
const MATRIX_CUT_NOTE = "… [The rest is too long for Matrix. Read it in a Signal app.]";

/** The name to show for a Signal account: its Signal name, else its Matrix user id. */
export async function nameOf(aci: string, ctx: SignalToMatrixContext): Promise<string> {
  return (await ctx.displayNameOf(aci)) || ctx.ghostUserIdOf(aci);
}

export async function renderSignalText(
  styled: StyledText,
  ctx: SignalToMatrixContext,
): Promise<RenderedText> {
  // Names are looked up before rendering, which itself runs synchronously.
  const names = new Map<string, string>();
  for (const range of styled.ranges) {
    if (isMention(range) && !names.has(range.mentionAci)) {
      names.set(range.mentionAci, await nameOf(range.mentionAci, ctx));
    }
  }
  return styledTextToHtml(styled, (aci) => ({
    userId: ctx.ghostUserIdOf(aci),
    displayName: names.get(aci) ?? ctx.ghostUserIdOf(aci),
  }));
}

/**
 * An `m.text` (or other text msgtype) for Signal text; HTML only when the text has formatting.
 * Text and HTML together take at most `MAX_MATRIX_TEXT_BYTES`: longer text loses its HTML, and
 * text that does not fit even so is cut, with a note saying where to read the rest.
 */
export async function textContent(
  styled: StyledText,
  ctx: SignalToMatrixContext,
  msgtype: "m.text" | "m.notice" = "m.text",
): Promise<MessageContent> {
  // Signal's apps send no more text than this; rendering more would be work for nothing.
  const rendered = await renderSignalText(
    fitsUtf8(styled.text, MAX_TEXT_BYTES) ? styled : capStyledText(styled, MAX_TEXT_BYTES),
    ctx,
  );
  let body = rendered.body;
  let html = styled.ranges.length > 0 ? rendered.html : undefined;
  // No character takes more than 6 bytes in JSON, so most messages need no counting.
  if ((body.length + (html?.length ?? 0)) * 6 > MAX_MATRIX_TEXT_BYTES) {
    const bodyBytes = jsonLength(body);
    if (html !== undefined && bodyBytes + jsonLength(html) > MAX_MATRIX_TEXT_BYTES) html = undefined;
    if (bodyBytes > MAX_MATRIX_TEXT_BYTES) {
      body = body.slice(0, jsonPrefixLength(body, MAX_MATRIX_TEXT_BYTES - jsonLength(MATRIX_CUT_NOTE)));
      body += MATRIX_CUT_NOTE;
    }
  }
  const content: MessageContent = { msgtype, body, "m.mentions": {} };
  if (html !== undefined) {
    content.format = HTML_FORMAT;
    content.formatted_body = html;
  }
  if (rendered.mentionedUserIds.length > 0) content["m.mentions"] = { user_ids: rendered.mentionedUserIds };
  return content;
}

/** A notice in the room; `html`, when given, must already be escaped. */
export function noticeContent(body: string, html?: string): MessageContent {
  const content: MessageContent = { msgtype: "m.notice", body, "m.mentions": {} };
  if (html !== undefined) {
    content.format = HTML_FORMAT;
    content.formatted_body = html;
  }
  return content;
}

/** Prefixes a quotation (already rendered) to a text content, as plain "> " lines and a blockquote. */
function prefixQuotation(
  content: MessageContent,
  quoteBody: string,
  quoteHtml: string,
  wrapInMxReply: boolean,
): void {
  const quotedLines = quoteBody
    .split("\n")
    .map((line) => `> ${line}`)
    .join("\n");
  const html = content.formatted_body ?? textToHtml(content.body);
  const block = `<blockquote>${quoteHtml}</blockquote>`;
  content.body = `${quotedLines}\n\n${content.body}`;
  content.format = HTML_FORMAT;
  content.formatted_body = `${wrapInMxReply ? `<mx-reply>${block}</mx-reply>` : block}${html}`;
}

async function quotedMessageText(
  quote: signalservice.DataMessage.IQuote,
  ctx: SignalToMatrixContext,
): Promise<RenderedText> {
  if (quote.text) {
    // The quotation is a reminder of the message, not a copy: its start is enough.
    return renderSignalText(capStyledText(fromBodyRanges(quote.text, quote.bodyRanges), QUOTE_BYTES), ctx);
  }
  const attachment = quote.attachments?.[0];
  const description = attachment
    ? attachment.fileName || attachment.contentType || "an attachment"
    : "a message";
  const text = attachment
    ? `Sent ${description}`
    : `${description.charAt(0).toUpperCase()}${description.slice(1)}`;
  return { body: text, html: escapeHtml(text), mentionedUserIds: [] };
}

/**
 * Makes `content` a reply to a Signal quote. If the quoted message was bridged, it gets
 * `m.in_reply_to` and, for text, the classic reply fallback (for clients that show no replies);
 * if not, the quotation is shown inline so the context is not lost.
 */
export async function applyQuote(
  content: MessageContent,
  quote: signalservice.DataMessage.IQuote,
  ctx: SignalToMatrixContext,
): Promise<void> {
  const authorAci = pickAci(quote.authorAci, quote.authorAciBinary);
  const eventId = authorAci
    ? (await ctx.eventIdsOf({ authorAci, sentTimestamp: quote.id ?? 0 }))[0]
    : undefined;
  const quoted = await quotedMessageText(quote, ctx);
  const isText =
    content.msgtype === "m.text" || content.msgtype === "m.notice" || content.msgtype === "m.emote";

  if (eventId === undefined || authorAci === undefined) {
    if (!isText) return;
    const name = authorAci ? await nameOf(authorAci, ctx) : "Unknown";
    prefixQuotation(
      content,
      `${name}: ${quoted.body}`,
      `<strong>${escapeHtml(name)}</strong>: ${quoted.html}`,
      false,
    );
    return;
  }

  const authorUserId = ctx.ghostUserIdOf(authorAci);
  content["m.relates_to"] = { ...content["m.relates_to"], "m.in_reply_to": { event_id: eventId } };
  const mentioned = content["m.mentions"]?.user_ids ?? [];
  if (!mentioned.includes(authorUserId)) content["m.mentions"] = { user_ids: [...mentioned, authorUserId] };
  if (!isText) return;
  prefixQuotation(
    content,
    `<${authorUserId}> ${quoted.body}`,
    `<a href="${escapeHtml(matrixToEventLink(ctx.roomId, eventId))}">In reply to</a> ` +
      `<a href="${escapeHtml(matrixToUserLink(authorUserId))}">${escapeHtml(authorUserId)}</a><br>${quoted.html}`,
    true,
  );
}

/**
 * How many of a message's link previews are bridged: like Signal's apps (Desktop reads only the
 * first), one, so a message cannot ask for any number of image downloads.
 */
export const BRIDGED_PREVIEWS = 1;

/** Signal link previews as Beeper link previews, with the preview image if the bridge uploaded it. */
export function linkPreviews(
  previews: readonly signalservice.IPreview[],
  ctx: SignalToMatrixContext,
): LinkPreview[] {
  const result: LinkPreview[] = [];
  previews.forEach((preview, index) => {
    if (index >= BRIDGED_PREVIEWS || !preview.url || !fitsUtf8(preview.url, MAX_URL_BYTES)) return;
    const entry: LinkPreview = { matched_url: preview.url, "og:url": preview.url };
    if (preview.title) entry["og:title"] = capText(preview.title, PREVIEW_FIELD_BYTES);
    if (preview.description) entry["og:description"] = capText(preview.description, PREVIEW_FIELD_BYTES);
    const image = ctx.media.get(`preview:${index}`);
    if (image && preview.image) {
      if (image.url !== undefined) {
        entry["og:image"] = image.url;
      } else {
        entry["og:image"] = image.file.url;
        entry["beeper:image:encryption"] = image.file;
      }
      if (preview.image.contentType) entry["og:image:type"] = preview.image.contentType;
      if (preview.image.width) entry["og:image:width"] = preview.image.width;
      if (preview.image.height) entry["og:image:height"] = preview.image.height;
      const size = preview.image.size || image.size;
      if (size) entry["matrix:image:size"] = size;
    }
    result.push(entry);
  });
  return result;
}
