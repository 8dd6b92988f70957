// Health endpoints on the appservice listener, for container orchestrators and monitoring:
//   GET /_matrix/mau/live   200 while the process serves HTTP at all;
//   GET /_matrix/mau/ready  200 once start-up finished (the homeserver answered and accepted the
//                           registration) while the database answers and the homeserver is
//                           reachable; otherwise 503 with the reason as JSON.
import type { Application, Request, Response } from "express";

export interface Readiness {
  /** What start-up still waits for, or undefined once it is done. */
  startupPending(): string | undefined;
  /** Whether the database answers a query. */
  databaseAnswers(): Promise<boolean>;
  /** Why the homeserver cannot be reached, or undefined when it answers. */
  homeserverProblem(): Promise<string | undefined>;
}

/** Why the bridge is not ready, or undefined when it is. */
export async function notReadyReason(readiness: Readiness): Promise<string | undefined> {
  const pending = readiness.startupPending();
  if (pending !== undefined) return `starting: waiting for ${pending}`;
  if (!(await readiness.databaseAnswers())) return "the database does not answer";
  const homeserver = await readiness.homeserverProblem();
  if (homeserver !== undefined) return `the homeserver is not reachable: ${homeserver}`;
  return undefined;
}

export function serveHealth(app: Application, readiness: Readiness): void {
  app.get("/_matrix/mau/live", (_request: Request, response: Response) => {
    response.status(200).json({ status: "live" });
  });
  app.get("/_matrix/mau/ready", (_request: Request, response: Response) => {
    notReadyReason(readiness).then(
      (reason) => {
        if (reason === undefined) response.status(200).json({ status: "ready" });
        else response.status(503).json({ status: "not ready", reason });
      },
      (error: unknown) => response.status(503).json({ status: "not ready", reason: String(error) }),
    );
  });
}

/**
 * Asks `probe` at most once per `maxAgeMs` and shares the answer: probes every few seconds from
 * several monitors must not turn into as many requests to the homeserver.
 */
export function cachedProbe(
  probe: () => Promise<string | undefined>,
  maxAgeMs: number,
  now: () => number = Date.now,
): () => Promise<string | undefined> {
  let last: { at: number; answer: Promise<string | undefined> } | undefined;
  return () => {
    if (!last || now() - last.at >= maxAgeMs) {
      last = { at: now(), answer: probe().catch((error: unknown) => String(error)) };
    }
    return last.answer;
  };
}
