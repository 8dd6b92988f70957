// The appservice HTTP listener, with the transaction route taken over from matrix-appservice: its
// own answers a transaction before anything is stored. Here a transaction's events are committed
// to the journal first and the homeserver gets its 200 only then; every other route (user and
// alias queries, /health, routes added later) is still served by the library's express app.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { AppService } from "matrix-appservice-bridge";
import type { Logger } from "../../logger.js";
import type { JournalIntake, MatrixJournal } from "../../store/index.js";
import {
  type IsBridgeUser,
  type IsOwnEcho,
  type TransactionDeviceData,
  transactionEvents,
} from "./transaction-events.js";

/**
 * Synapse sends at most 100 events and 100 ephemeral events a transaction; other homeservers or a
 * replay may send more. Large enough for thousands of events, small enough to bound memory.
 */
const MAX_TRANSACTION_BYTES = 32 * 1024 * 1024;

const TRANSACTION_PATH = /^\/_matrix\/app\/v1\/transactions\/([^/?]+)$/;

export interface JournalingAppServiceOptions {
  homeserverToken: string;
  journal: Pick<MatrixJournal, "takeIn">;
  isBridgeUser: IsBridgeUser;
  /** Events the bridge sent as a user's own account (double puppeting), left out like the ghosts'. */
  isOwnEcho?: IsOwnEcho;
  /**
   * Takes secrets out of a room event before it is journaled (a login-matrix token): the journal
   * is plaintext, and a secret written there would stay readable in the database file.
   */
  withoutSecrets?(event: Record<string, unknown>): Record<string, unknown>;
  /** Called once the journal has new entries for these rooms (after the homeserver's answer). */
  onJournaled(intake: JournalIntake): void;
  /** Sees every well-formed room event of a new transaction (the bridge's own too), for caches. */
  onRoomEvent?(event: Record<string, unknown>): void;
  /**
   * Takes what a transaction says about devices (room keys for the bot's device ...); the
   * transaction is journaled and answered only once it resolves, so nothing of it is lost.
   */
  onDeviceData?(data: TransactionDeviceData): Promise<void>;
  logger: Logger;
}

export class JournalingAppService extends AppService {
  private httpServer: Server | undefined;

  constructor(private readonly options: JournalingAppServiceOptions) {
    super({ homeserverToken: options.homeserverToken, httpMaxSizeBytes: MAX_TRANSACTION_BYTES });
  }

  override listen(port: number, hostname: string, backlog: number): Promise<void> {
    const server = createServer((req, res) => {
      const match = req.method === "PUT" ? TRANSACTION_PATH.exec(pathOf(req)) : null;
      if (match) void this.onTransactionRequest(req, res, match[1]!);
      else this.expressApp(req, res);
    });
    this.httpServer = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, hostname, backlog, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  override async close(): Promise<void> {
    const server = this.httpServer;
    if (!server) return;
    this.httpServer = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async onTransactionRequest(
    req: IncomingMessage,
    res: ServerResponse,
    encodedTxnId: string,
  ): Promise<void> {
    const { logger } = this.options;
    let txnId = encodedTxnId;
    try {
      const refusal = this.tokenRefusal(req);
      if (refusal) return answer(res, refusal.status, refusal.body);
      // Decoded here, not in the listener: a malformed id must get an answer, not end the process.
      const decoded = decodedOrUndefined(encodedTxnId);
      if (decoded === undefined) {
        return answer(res, 400, {
          errcode: "M_INVALID_PARAM",
          error: "the transaction id is not properly URL-encoded",
        });
      }
      txnId = decoded;
      const body = await readJson(req);
      if (body.error) return answer(res, body.error.status, body.error.body);
      const events = transactionEvents(txnId, body.value, this.options.isBridgeUser, this.options.isOwnEcho);
      if (events.skipped.length > 0) {
        logger.warn(
          `transaction ${txnId}: left out ${events.skipped.length} malformed entries: ${summary(events.skipped)}`,
        );
      }
      await this.options.onDeviceData?.(events.device);
      const { withoutSecrets } = this.options;
      const journal = withoutSecrets
        ? events.journal.map((entry) =>
            entry.kind === "event" ? { ...entry, event: withoutSecrets(entry.event) } : entry,
          )
        : events.journal;
      const intake = await this.options.journal.takeIn(journal);
      answer(res, 200, {});
      logger.debug(`transaction ${txnId}: ${intake.stored} new of ${journal.length} journaled events`);
      for (const event of events.roomEvents) {
        // The library keeps its membership and power level caches from state events; its handling
        // of any other event is a no-op here that still costs a request object and a queue entry.
        if (typeof event["state_key"] === "string") this.emit("event", event);
        this.options.onRoomEvent?.(event);
      }
      this.options.onJournaled(intake);
    } catch (error) {
      // Nothing was answered with 200, so the homeserver sends the transaction again.
      logger.error(`transaction ${txnId} could not be stored; the homeserver will retry it`, error);
      if (!res.headersSent)
        answer(res, 500, { errcode: "M_UNKNOWN", error: "could not store the transaction" });
    }
  }

  private tokenRefusal(req: IncomingMessage): { status: number; body: object } | undefined {
    const header = req.headers.authorization;
    const token = header?.startsWith("Bearer ")
      ? header.slice("Bearer ".length)
      : (new URL(req.url ?? "/", "http://appservice").searchParams.get("access_token") ?? undefined);
    if (token === undefined) return { status: 401, body: { errcode: "M_UNAUTHORIZED", error: "no token" } };
    if (token !== this.options.homeserverToken) {
      return { status: 403, body: { errcode: "M_FORBIDDEN", error: "bad token" } };
    }
    return undefined;
  }
}

function decodedOrUndefined(component: string): string | undefined {
  try {
    return decodeURIComponent(component);
  } catch {
    return undefined;
  }
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

function answer(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

type JsonBody = { value: unknown; error?: undefined } | { error: { status: number; body: object } };

/** Reads a JSON request body of at most MAX_TRANSACTION_BYTES. */
async function readJson(req: IncomingMessage): Promise<JsonBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_TRANSACTION_BYTES) {
      return { error: { status: 413, body: { errcode: "M_TOO_LARGE", error: "transaction too large" } } };
    }
    chunks.push(chunk);
  }
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString("utf8")) };
  } catch {
    return { error: { status: 400, body: { errcode: "M_NOT_JSON", error: "the body is not JSON" } } };
  }
}

function summary(skipped: string[]): string {
  const shown = skipped.slice(0, 5).join("; ");
  return skipped.length > 5 ? `${shown}; and ${skipped.length - 5} more` : shown;
}
