/** Escapes text for use in HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML content and turns its line breaks into `<br>`. */
export function textToHtml(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, "<br>");
}

/** A link to a Matrix user in the form clients render as a pill. */
export function matrixToUserLink(userId: string): string {
  return `https://matrix.to/#/${userId}`;
}

/** A link to a Matrix event. */
export function matrixToEventLink(roomId: string, eventId: string): string {
  return `https://matrix.to/#/${roomId}/${eventId}`;
}

/**
 * The Matrix user id a link points at, for pills: `https://matrix.to/#/@user:server`
 * (optionally URL-encoded, optionally with `?via=`), and `matrix:u/user:server` URIs.
 */
export function userIdFromLink(href: string): string | undefined {
  let candidate: string | undefined;
  const trimmed = href.trim();
  const matrixTo = /^https?:\/\/matrix\.to\/#\/([^?]*)/i.exec(trimmed);
  if (matrixTo) {
    candidate = matrixTo[1];
  } else {
    const matrixUri = /^matrix:u\/([^?#]*)/i.exec(trimmed);
    if (matrixUri?.[1] !== undefined) candidate = `@${matrixUri[1]}`;
  }
  if (candidate === undefined) return undefined;
  try {
    candidate = decodeURIComponent(candidate);
  } catch {
    return undefined;
  }
  return /^@[^:\s]+:\S+$/.test(candidate) ? candidate : undefined;
}
