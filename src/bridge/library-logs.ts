/**
 * The Matrix libraries' log lines, routed through the bridge's logger: one format, one level
 * setting, no stack traces for conditions the bridge expects and handles. matrix-appservice-bridge
 * logs through winston; the matrix-bot-sdk under it through its own LogService, which by default
 * reports every non-2xx answer as an error, even ones the caller expects (a ghost that is already
 * registered). Its request errors are also thrown to the caller, which reports what they mean.
 */
import { Writable } from "node:stream";
import type { GlobalLogger } from "matrix-appservice-bridge";
import type { Logger, LogLevel } from "../logger.js";
import { botSdkModule } from "./bot-sdk-module.js";

type BotSdkLevel = "trace" | "debug" | "info" | "warn" | "error";
type BotSdkLogger = Record<BotSdkLevel, (module: string, ...parts: unknown[]) => void>;

/** The part of matrix-bot-sdk's logging API used here. */
interface BotSdkLogging {
  LogService: { setLogger(logger: BotSdkLogger): void; setLevel(level: unknown): void };
  LogLevel: { DEBUG: unknown; INFO: unknown };
}

const MAX_PART_LENGTH = 500;

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

interface MatrixErrorLike {
  errcode?: unknown;
  error?: unknown;
  body?: { errcode?: unknown; error?: unknown };
}

function matrixErrorOf(part: unknown): { errcode: string; error: string } | undefined {
  if (part === null || typeof part !== "object") return undefined;
  const candidate = part as MatrixErrorLike;
  const errcode = candidate.errcode ?? candidate.body?.errcode;
  if (typeof errcode !== "string") return undefined;
  const error = candidate.error ?? candidate.body?.error;
  return { errcode, error: typeof error === "string" ? error : "" };
}

/**
 * Answers the bridge expects and handles: registering a ghost that exists already, and the
 * lookups matrix-appservice-bridge itself counts as noise (account data or an event not there).
 */
export function isExpectedAnswer(parts: readonly unknown[]): boolean {
  return parts.some((part) => {
    if (typeof part === "string") return part.includes("User ID is in use");
    const matrixError = matrixErrorOf(part);
    if (!matrixError) return false;
    if (matrixError.errcode === "M_USER_IN_USE") return true;
    return (
      matrixError.errcode === "M_NOT_FOUND" &&
      (matrixError.error === "Room account data not found" || matrixError.error === "Event not found.")
    );
  });
}

/** A network failure (the homeserver away) rather than an answer. */
function isNetworkError(parts: readonly unknown[]): boolean {
  return parts.some((part) => part instanceof Error && typeof (part as { code?: unknown }).code === "string");
}

/** One line for a logged value: errors without their stack, bodies as compact JSON, long ones cut. */
export function formatPart(part: unknown): string {
  let text: string;
  const matrixError = matrixErrorOf(part);
  if (typeof part === "string") text = part;
  else if (matrixError) {
    const status = (part as { statusCode?: unknown }).statusCode;
    text = `${typeof status === "number" ? `${status} ` : ""}${matrixError.errcode}: ${matrixError.error}`;
  } else if (part instanceof Error) {
    text = part.name === "Error" ? part.message : `${part.name}: ${part.message}`;
  } else {
    try {
      text = JSON.stringify(part) ?? String(part);
    } catch {
      text = String(part);
    }
  }
  const line = text.split("\n")[0] ?? "";
  return line.length > MAX_PART_LENGTH ? `${line.slice(0, MAX_PART_LENGTH)}…` : line;
}

/** The level a matrix-bot-sdk line is logged at. */
export function botSdkLineLevel(level: BotSdkLevel, module: string, parts: readonly unknown[]): LogLevel {
  switch (level) {
    case "trace":
    case "debug":
      return "debug";
    case "info":
      // Every request is logged at info: debug material.
      return module.startsWith("MatrixHttpClient") || module.startsWith("MatrixLiteClient")
        ? "debug"
        : "info";
    case "warn":
    case "error":
      if (isExpectedAnswer(parts)) return "debug";
      // The homeserver away: the caller retries or reports; one line is plenty.
      if (isNetworkError(parts)) return "warn";
      return level;
  }
}

/** The level a matrix-appservice-bridge line is logged at: its info lines narrate every request. */
export function libraryLineLevel(level: string, parts: readonly unknown[]): LogLevel {
  const lower = level.toLowerCase();
  if ((lower === "warn" || lower === "error") && !isExpectedAnswer(parts)) return lower;
  return "debug";
}

function emit(logger: Logger, level: LogLevel, module: string, parts: readonly unknown[]): void {
  const line = [module, ...parts.map(formatPart)].filter((text) => text.length > 0).join(" ");
  (module ? logger.with({ module }) : logger)[level](line);
}

/**
 * Sends the log lines of matrix-appservice-bridge (whose root logger is `libraryRoot`, that is
 * its `Logger.root`) and its matrix-bot-sdk to `logger`.
 */
export function routeLibraryLogs(logger: Logger, level: LogLevel, libraryRoot: GlobalLogger): void {
  // Lines below the level are dropped before they are formatted: the libraries narrate every
  // request (several lines per bridged message), which cost about 6 % of the bridge's CPU time
  // in a Signal -> Matrix burst at level info.
  const shown = (at: LogLevel) => LEVEL_RANK[at] >= LEVEL_RANK[level];
  const libraryLogger = logger.child("appservice-lib");
  const lines = new Writable({
    objectMode: true,
    write(info: { level?: unknown; module?: unknown; data?: unknown }, _encoding, done) {
      const parts = Array.isArray(info.data) ? (info.data as unknown[]) : [];
      const module = typeof info.module === "string" ? info.module : "";
      const at = libraryLineLevel(String(info.level ?? ""), parts);
      if (shown(at)) emit(libraryLogger, at, module, parts);
      done();
    },
  });
  // No console output of its own; every line comes to the stream above.
  libraryRoot.configureLogging({}, lines);
  const winston = libraryRoot.winston;
  if (winston && level !== "debug") {
    // Only its warnings and errors can be shown (libraryLineLevel): the rest is dropped before
    // winston timestamps and formats it and streams it here.
    const log = winston.log.bind(winston);
    winston.log = ((at: unknown, ...rest: unknown[]) =>
      typeof at === "string" && at !== "warn" && at !== "error"
        ? winston
        : (log as (...args: unknown[]) => unknown)(at, ...rest)) as typeof winston.log;
  }

  const sdkLogger = logger.child("matrix-sdk");
  const { LogService, LogLevel } = botSdkModule<BotSdkLogging>();
  const forward =
    (at: BotSdkLevel) =>
    (module: string, ...parts: unknown[]) => {
      const lineLevel = botSdkLineLevel(at, module, parts);
      if (shown(lineLevel)) emit(sdkLogger, lineLevel, module, parts);
    };
  LogService.setLogger({
    trace: forward("trace"),
    debug: forward("debug"),
    info: forward("info"),
    warn: forward("warn"),
    error: forward("error"),
  });
  LogService.setLevel(level === "debug" ? LogLevel.DEBUG : LogLevel.INFO);
}
