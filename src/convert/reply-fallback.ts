/**
 * Reply fallbacks: the "> <@user:server> quoted text" lines that older Matrix clients put in
 * front of a reply's plain `body` (the HTML one is the `<mx-reply>` element, which the HTML
 * converter drops). Signal shows the quote itself, so the fallback must not reach it; its
 * text is still useful as the quote's text.
 */
export interface SplitReply {
  /** The reply without the fallback. */
  body: string;
  /** The quoted text without the sender prefix and "> " markers, if there was a fallback. */
  quotedText?: string;
}

export function stripReplyFallback(body: string): SplitReply {
  const lines = body.split("\n");
  let count = 0;
  while (count < lines.length && (lines[count] as string).startsWith(">")) count++;
  if (count === 0) return { body };
  // A fallback is followed by an empty line (or is everything there is).
  if (count < lines.length && lines[count] !== "") return { body };
  const quoted = lines
    .slice(0, count)
    .map((line) => line.replace(/^> ?/, ""))
    .join("\n")
    .replace(/^\*?\s*<[^>\s]+>\s?/, "");
  return { body: lines.slice(count + 1).join("\n"), quotedText: quoted };
}
