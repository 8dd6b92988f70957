/**
 * The bridge's own log lines: one line per event, level-filtered, to stderr.
 * Layers below the bridge take a `Logger`-shaped object as an argument instead of importing this.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
  child(scope: string): Logger;
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

export function createLogger(
  level: LogLevel,
  scope = "bridge",
  write = (line: string) => process.stderr.write(line),
): Logger {
  const emit = (at: LogLevel, message: string, details: unknown[]) => {
    if (rank[at] < rank[level]) return;
    const suffix = details.length > 0 ? " " + details.map(formatDetail).join(" ") : "";
    write(`${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} [${scope}] ${message}${suffix}\n`);
  };
  return {
    debug: (message, ...details) => emit("debug", message, details),
    info: (message, ...details) => emit("info", message, details),
    warn: (message, ...details) => emit("warn", message, details),
    error: (message, ...details) => emit("error", message, details),
    child: (child) => createLogger(level, `${scope}:${child}`, write),
  };
}
