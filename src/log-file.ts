/**
 * The log file: lines appended synchronously, the file rotated by size (`bridge.log` becomes
 * `bridge.log.1`, that one `bridge.log.2` ..., the oldest beyond `maxFiles` is dropped).
 *
 * Written here rather than taken from a library: the writes are synchronous like the ones to
 * stderr, so the lines of both stay in the same order and the last lines before `process.exit`
 * (a failed start, a shutdown) are on disk; the stream libraries write asynchronously. Rotation
 * by size needs nothing more than a rename chain.
 */
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export interface LogFileOptions {
  /** A file reaching this size is rotated before the next line. */
  maxBytes: number;
  /** Rotated files kept besides the current one. */
  maxFiles: number;
  /** Told once when writing fails (a full disk, a removed directory); lines go on to stderr. */
  onError?: (error: Error) => void;
}

export class RotatingLogFile {
  private fd: number | undefined;
  private size = 0;
  private failed = false;

  constructor(
    readonly path: string,
    private readonly options: LogFileOptions,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.open();
  }

  write(line: string): void {
    if (this.fd === undefined) return;
    try {
      const bytes = Buffer.byteLength(line);
      if (this.size > 0 && this.size + bytes > this.options.maxBytes) this.rotate();
      this.size += writeSync(this.fd, line);
    } catch (error) {
      this.fail(error);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): void {
    // Lines name users and rooms: for the bridge's owner only, like the database.
    this.fd = openSync(this.path, "a", 0o600);
    this.size = fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.close();
    const { maxFiles } = this.options;
    rmSync(`${this.path}.${maxFiles}`, { force: true });
    for (let index = maxFiles - 1; index >= 1; index--)
      renameIfPresent(`${this.path}.${index}`, `${this.path}.${index + 1}`);
    renameSync(this.path, `${this.path}.1`);
    this.open();
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
