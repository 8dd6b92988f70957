import { randomBytes } from "node:crypto";
import type { Logger } from "../../logger.js";
import { type LinkedAccount, LinkingCancelledError } from "../../signal/index.js";
import { type Clock, systemClock } from "../expiry-scheduler.js";
import { AlreadyLoggedInError, type LinkSession, type LinkSessions } from "../link-sessions.js";
import { ProvisioningError } from "./provisioning-auth.js";

/** A step of a login process, in the shape of mautrix's `bridgev2.LoginStep`. */
export type LoginStep =
  | {
      type: "display_and_wait";
      step_id: string;
      instructions: string;
      display_and_wait: { type: "qr"; data: string; image_url: string };
    }
  | {
      type: "complete";
      step_id: string;
      instructions: string;
      complete: { user_login_id: string };
    };

/** The one login flow, as `GET login/flows` lists it. */
export const QR_FLOW = {
  name: "QR",
  description: "Scan a QR code with the Signal app on your phone to link the bridge as a device",
  id: "qr",
} as const;

/** Step IDs of mautrix-signal, which clients may know. */
export const QR_STEP_ID = "fi.mau.signal.login.qr";
export const COMPLETE_STEP_ID = "fi.mau.signal.login.complete";

const QR_INSTRUCTIONS =
  "Scan the QR code with Signal on your phone: Settings → Linked devices → Link new device.";
/** How long a login process may wait for its phone (mautrix's figure). */
export const PROCESS_LIFETIME_MS = 15 * 60_000;
const FIRST_CODE_TIMEOUT_MS = 30_000;

type Outcome =
  { kind: "linked"; account: LinkedAccount } | { kind: "cancelled" } | { kind: "failed"; error: Error };

interface Process {
  id: string;
  userId: string;
  session: LinkSession;
  /** Whether this process started the linking (and so may end it when it times out). */
  ownsSession: boolean;
  /** The QR code URL the last returned step showed. */
  shownUrl: string;
  outcome?: Outcome;
  /** Woken when the URL changes or the outcome arrives. */
  waiters: Set<() => void>;
  expiry: { cancel(): void };
  stopWatching: () => void;
}

export interface ProvisioningLoginsOptions {
  sessions: Pick<LinkSessions, "start">;
  /** The QR code of a URL as an image URL (a data: URL) that a client can show as it is. */
  qrImage(url: string): Promise<string>;
  /** Tells the user how a linking a process started went (in their management room). */
  reportLinking(session: LinkSession): void;
  logger: Logger;
  clock?: Clock;
}

/**
 * Login processes of the provisioning API: `start` begins (or joins) the user's linking and
 * returns the QR step; `wait` answers when there is something new to show: a refreshed QR code,
 * or the end (the complete step, or an error).
 */
export class ProvisioningLogins {
  private readonly processes = new Map<string, Process>();
  private readonly clock: Clock;

  constructor(private readonly options: ProvisioningLoginsOptions) {
    this.clock = options.clock ?? systemClock;
  }

  async start(userId: string): Promise<{ login_id: string } & LoginStep> {
    let linking: { session: LinkSession; started: boolean };
    try {
      linking = this.options.sessions.start(userId);
    } catch (error) {
      if (error instanceof AlreadyLoggedInError) {
        throw new ProvisioningError(
          400,
          "FI.MAU.BRIDGE.TOO_MANY_LOGINS",
          `Maximum number of logins exceeded (1): you are ${error.message}; log out first`,
        );
      }
      throw error;
    }
    const { session, started } = linking;
    if (started) this.options.reportLinking(session);
    let url: string;
    try {
      url = await firstUrl(session, FIRST_CODE_TIMEOUT_MS);
    } catch (error) {
      if (started) session.cancel();
      throw failure(error);
    }
    const process: Process = {
      id: randomBytes(12).toString("base64url"),
      userId,
      session,
      ownsSession: started,
      shownUrl: url,
      waiters: new Set(),
      expiry: { cancel: () => undefined },
      stopWatching: () => undefined,
    };
    const wake = () => {
      for (const waiter of process.waiters) waiter();
    };
    process.stopWatching = session.onUrl(wake);
    session.linked.then(
      (account) => {
        process.outcome ??= { kind: "linked", account };
        wake();
      },
      (error: unknown) => {
        process.outcome ??=
          error instanceof LinkingCancelledError
            ? { kind: "cancelled" }
            : { kind: "failed", error: error instanceof Error ? error : new Error(String(error)) };
        wake();
      },
    );
    process.expiry = this.clock.setTimer(() => {
      this.options.logger.info(`login process ${process.id} of ${userId} timed out`);
      this.end(process, process.ownsSession, {
        kind: "failed",
        error: new Error("the QR code was not scanned in time"),
      });
    }, PROCESS_LIFETIME_MS);
    this.processes.set(process.id, process);
    this.options.logger.info(`${userId} started login process ${process.id}`);
    return { login_id: process.id, ...(await this.qrStep(url)) };
  }

  /**
   * Waits for what comes after the step `stepId` of a process: a new QR code, or the complete
   * step. Rejects with ProvisioningError when the process is unknown, the step is not its
   * current one, or the login failed or was cancelled (the process is then gone).
   */
  async wait(userId: string, processId: string, stepId: string, signal?: AbortSignal): Promise<LoginStep> {
    const process = this.processOf(userId, processId);
    if (stepId !== QR_STEP_ID) {
      throw new ProvisioningError(400, "M_BAD_STATE", "Step ID does not match");
    }
    while (!process.outcome && process.session.url === process.shownUrl) {
      if (signal?.aborted) throw new ProvisioningError(499, "M_UNKNOWN", "The request was closed");
      await new Promise<void>((resolve) => {
        const done = () => {
          process.waiters.delete(done);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        process.waiters.add(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
    const outcome = process.outcome;
    if (!outcome) {
      const url = process.session.url!;
      process.shownUrl = url;
      return this.qrStep(url);
    }
    this.end(process, false, outcome);
    if (outcome.kind === "cancelled")
      throw new ProvisioningError(400, "M_BAD_STATE", "The login was cancelled");
    if (outcome.kind === "failed") throw failure(outcome.error);
    const { aci, number } = outcome.account;
    return {
      type: "complete",
      step_id: COMPLETE_STEP_ID,
      instructions: `Successfully logged in as ${number ?? aci}`,
      complete: { user_login_id: aci },
    };
  }

  /** Cancels a process and the linking it waits for. */
  cancel(userId: string, processId: string): void {
    const process = this.processOf(userId, processId);
    this.end(process, true, { kind: "cancelled" });
    this.options.logger.info(`${userId} cancelled login process ${process.id}`);
  }

  /** Ends every process (the bridge is stopping; the linking itself is stopped with the logins). */
  stop(): void {
    for (const process of [...this.processes.values()]) {
      this.end(process, false, { kind: "failed", error: new Error("the bridge is stopping") });
    }
  }

  private processOf(userId: string, processId: string): Process {
    const process = this.processes.get(processId);
    if (!process || process.userId !== userId) {
      throw new ProvisioningError(404, "M_NOT_FOUND", "Login not found");
    }
    return process;
  }

  /** Forgets a process; a request still waiting on it answers with `outcome`. */
  private end(process: Process, cancelLinking: boolean, outcome: Outcome): void {
    process.outcome ??= outcome;
    if (!this.processes.delete(process.id)) return;
    process.expiry.cancel();
    process.stopWatching();
    if (cancelLinking) process.session.cancel();
    for (const waiter of process.waiters) waiter();
  }

  private async qrStep(url: string): Promise<LoginStep> {
    return {
      type: "display_and_wait",
      step_id: QR_STEP_ID,
      instructions: QR_INSTRUCTIONS,
      display_and_wait: { type: "qr", data: url, image_url: await this.options.qrImage(url) },
    };
  }
}

/** The session's first QR code URL; rejects when linking ends or Signal gives none in time. */
function firstUrl(session: LinkSession, timeoutMs: number): Promise<string> {
  if (session.url !== undefined) return Promise.resolve(session.url);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error("Signal did not give a linking code in time"));
    }, timeoutMs);
    const stop = session.onUrl((url) => {
      clearTimeout(timer);
      stop();
      resolve(url);
    });
    session.linked.then(
      () => undefined,
      (error: unknown) => {
        clearTimeout(timer);
        stop();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function failure(error: unknown): ProvisioningError {
  if (error instanceof ProvisioningError) return error;
  if (error instanceof LinkingCancelledError) {
    return new ProvisioningError(400, "M_BAD_STATE", "The login was cancelled");
  }
  return new ProvisioningError(500, "M_UNKNOWN", `Login failed: ${(error as Error).message}`);
}
