/**
 * The bridge's own log lines: one line per event, level-filtered, as text or as one JSON object,
 * written to stderr (and wherever else the composition root sends them).
 * Layers below the bridge take a `Logger`-shaped object as an argument instead of importing this.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "text" | "json";

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * What a line is about, for log search: JSON lines carry these as fields of their own. Messages
 * keep naming the ids too, so text lines read as before.
 */
export interface LogFields {
  /** Matrix user ID (the owner of a login, the sender of an event). */
  user?: string;
  /** Signal account (ACI) of a login. */
  login?: string;
  /** Matrix room ID. */
  room?: string;
  /** Matrix event ID. */
  event?: string;
  /** Signal message: `<author ACI>/<sent timestamp>`. */
  signal_message?: string;
  /** Key of a buffered Signal envelope (what the Signal client calls an event's `id`). */
  signal_event?: string;
  /** The library module a line of matrix-appservice-bridge or matrix-bot-sdk comes from. */
  module?: string;
}

export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
  /** A logger whose scope is this one's plus `scope`. */
  child(scope: string): Logger;
  /** A logger of the same scope that adds `fields` to each of its lines. */
  with(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level: LogLevel;
  format?: LogFormat;
  scope?: string;
  /** Receives each finished line (with its newline). */
  write?: (line: string) => void;
  /**
   * Values never to be written (the appservice tokens): replaced wherever they would appear,
   * whichever code logged them.
   */
  secrets?: readonly string[];
}

const REDACTED = "<redacted>";
/** Credentials that travel in URLs and headers, whoever's they are. */
const credentialPatterns: ReadonlyArray<[RegExp, string]> = [
  [/(access_token=)[^&\s"']+/g, `$1${REDACTED}`],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, `$1${REDACTED}`],
];

/** `text` with the given secrets and any credential in a URL or header replaced. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
  for (const [pattern, replacement] of credentialPatterns) out = out.replace(pattern, replacement);
  return out;
}

function formatDetail(detail: unknown): string {
  if (detail instanceof Error) return detail.stack ?? `${detail.name}: ${detail.message}`;
  if (typeof detail === "string") return detail;
  try {
    return JSON.stringify(detail);
  } catch {
    return String(detail);
  }
}

export interface LogRecord {
  time: Date;
  level: LogLevel;
  scope: string;
  message: string;
  details: readonly unknown[];
  fields: LogFields;
}

/**
 * `time LEVEL [scope] message details`, then the fields the message does not already name
 * (call sites name their ids in the message; the fields are there for JSON and search).
 */
export function formatText(record: LogRecord): string {
  const { time, level, scope, message, details, fields } = record;
  const suffix = details.length > 0 ? " " + details.map(formatDetail).join(" ") : "";
  const extra = Object.entries(fields)
    .filter(([, value]) => value !== undefined && !message.includes(value))
    .map(([name, value]) => ` ${name}=${value}`)
    .join("");
  return `${time.toISOString()} ${level.toUpperCase().padEnd(5)} [${scope}] ${message}${suffix}${extra}\n`;
}

/**
 * One JSON object: time, level, scope, msg, the fields, and the details (an error as `error`
 * with its stack, anything else under `details`).
 */
export function formatJson(record: LogRecord): string {
  const { time, level, scope, message, details, fields } = record;
  const line: Record<string, unknown> = { time: time.toISOString(), level, scope, msg: message };
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) line[name] = value;
  const errors = details.filter((detail) => detail instanceof Error);
  const others = details.filter((detail) => !(detail instanceof Error));
  if (errors.length > 0) line["error"] = errors.map(formatDetail).join("\n");
  if (others.length > 0) line["details"] = others.map(formatDetail);
  return JSON.stringify(line) + "\n";
}

export function createLogger(options: LoggerOptions): Logger;
/** The short form tests use: a level, a scope and where lines go, as text. */
export function createLogger(level: LogLevel, scope?: string, write?: (line: string) => void): Logger;
export function createLogger(
  levelOrOptions: LogLevel | LoggerOptions,
  scope?: string,
  write?: (line: string) => void,
): Logger {
  const options: LoggerOptions =
    typeof levelOrOptions === "string"
      ? { level: levelOrOptions, ...(scope ? { scope } : {}), ...(write ? { write } : {}) }
      : levelOrOptions;
  const settings = {
    threshold: rank[options.level],
    format: options.format === "json" ? formatJson : formatText,
    write: options.write ?? ((line: string) => void process.stderr.write(line)),
    secrets: (options.secrets ?? []).filter((secret) => secret.length > 0),
  };
  return scopedLogger(settings, options.scope ?? "bridge", {});
}

interface Settings {
  threshold: number;
  format: (record: LogRecord) => string;
  write: (line: string) => void;
  secrets: readonly string[];
}

function scopedLogger(settings: Settings, scope: string, fields: LogFields): Logger {
  const emit = (level: LogLevel, message: string, details: unknown[]) => {
    if (rank[level] < settings.threshold) return;
    // A line that cannot be written must not become a failure of what was being logged.
    try {
      const record = { time: new Date(), level, scope, message, details, fields };
      settings.write(redact(settings.format(record), settings.secrets));
    } catch {
      // Nowhere left to say it.
    }
  };
  return {
    debug: (message, ...details) => emit("debug", message, details),
    info: (message, ...details) => emit("info", message, details),
    warn: (message, ...details) => emit("warn", message, details),
    error: (message, ...details) => emit("error", message, details),
    child: (child) => scopedLogger(settings, `${scope}:${child}`, fields),
    with: (more) => scopedLogger(settings, scope, { ...fields, ...more }),
  };
}
