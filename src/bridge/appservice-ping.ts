import { createHash, timingSafeEqual } from "node:crypto";
import type { Application, Request, Response } from "express";

const digest = (token: string) => createHash("sha256").update(token).digest();

/** The homeserver's token from the Authorization header (or the legacy `access_token` parameter). */
function providedToken(request: Request): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) return /^Bearer\s+(.+)$/i.exec(header)?.[1];
  const legacy = request.query["access_token"];
  return typeof legacy === "string" ? legacy : undefined;
}

/**
 * Serves the appservice ping (Matrix v1.7, `POST /_matrix/app/v1/ping`): the homeserver calls it
 * with the hs_token when asked to check that it reaches the bridge, and the bridge answers `{}`.
 * The token is checked like on the transaction route.
 */
export function servePing(app: Application, hsToken: string): void {
  const expected = digest(hsToken);
  app.post("/_matrix/app/v1/ping", (request: Request, response: Response) => {
    const token = providedToken(request);
    if (token === undefined) {
      response.status(401).json({ errcode: "M_UNAUTHORIZED", error: "No hs_token supplied" });
      return;
    }
    if (!timingSafeEqual(digest(token), expected)) {
      response.status(403).json({ errcode: "M_FORBIDDEN", error: "Bad hs_token supplied" });
      return;
    }
    response.status(200).json({});
  });
}
