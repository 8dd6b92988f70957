// What the bridge says about a PostgreSQL URI without loading pg: its password, and the URI with
// the password hidden for messages and logs.

/** `uri` with its password (in the authority or a `password=` parameter) replaced by `***`. */
export function redactDatabaseUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.password) url.password = "***";
    if (url.searchParams.has("password")) url.searchParams.set("password", "***");
    return url.toString();
  } catch {
    // Not a URL: cut what looks like user:password@ and password=... anyway.
    return uri.replace(/(\/\/[^:/@]*:)[^@]*@/, "$1***@").replace(/(password=)[^&\s]*/gi, "$1***");
  }
}

/** The password a URI names, if any (authority or `password=` parameter). */
export function passwordOf(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    const fromParam = url.searchParams.get("password");
    if (fromParam) return fromParam;
    return url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    return /\/\/[^:/@]*:([^@]*)@/.exec(uri)?.[1] ?? undefined;
  }
}
