/**
 * A throwaway PostgreSQL server for tests: `initdb` in a temporary directory, started with
 * `pg_ctl` on an ephemeral loopback port (and a Unix socket in the same directory), one database
 * per test, stopped and deleted by `stop()`. Uses the system's PostgreSQL binaries (on PATH, else
 * the newest /usr/lib/postgresql/<version>/bin); `.ci/run` installs Debian's `postgresql` where
 * they are missing.
 *
 * initdb and the server refuse to run as root: as root, both run as the `postgres` user (made by
 * Debian's package), else as `nobody`, and the directory is handed to that user.
 *
 * TCP connections need a password (scram-sha-256), so tests exercise password URIs; the server
 * keeps fsync on (durability is part of what is tested) with small shared buffers.
 *
 * initdb takes most of a start (~0.7 s of CPU, once per test file): its output is made once per
 * machine, binaries and user into a cache directory beside the servers' (built aside, then renamed
 * into place, so processes starting at once never see half of one) and copied for each server,
 * which then gets a fresh random password. Delete /tmp/postgres-initdb-cache-* to rebuild it.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import {
  access,
  chown,
  constants,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort, withTimeout } from "./wait.js";

const run = promisify(execFile);

export interface PostgresServer {
  /** The server's TCP port on 127.0.0.1. */
  port: number;
  /** The superuser every database URI names. */
  user: string;
  /** That user's password (TCP connections need it). */
  password: string;
  /** The server's log file (removed with its directory by `stop()`). */
  logFile: string;
  /**
   * The server's data directory (PGDATA: base/, global/, pg_wal/ ...), for tests that read its
   * files raw. As root it belongs to the user the server runs as (root reads it anyway).
   */
  dataDirectory: string;
  /**
   * Creates an empty database and returns its URI (postgresql://user:password@127.0.0.1:port/name).
   * `name` is made unique, so tests may pass the same one. With `template`, the database starts as
   * a copy of that one (which must have no open connections) instead of template0.
   */
  createDatabase(name: string, options?: { template?: string }): Promise<string>;
  /** The URI of database `name` with `password` instead of the right one (for failure tests). */
  uriFor(database: string, password?: string | null): string;
  /** The end of the server's log, for failure messages. */
  logTail(lines?: number): Promise<string>;
  /**
   * Stops the server and deletes its directory. An immediate shutdown: the data is thrown away,
   * so the shutdown checkpoint (seconds of fsync with a few databases) is skipped.
   */
  stop(): Promise<void>;
  /**
   * Kills the server as a crash would (immediate shutdown: no checkpoint, connections cut) and
   * keeps its directory; `start()` brings it back, recovering from the WAL what was committed.
   */
  crash(): Promise<void>;
  /**
   * Stops the server cleanly (fast mode: connections cut, then the shutdown checkpoint writes
   * everything to the data files) and keeps its directory; `start()` brings it back.
   */
  shutdown(): Promise<void>;
  /** Starts the server again, on the same port and data, after `crash()` or `shutdown()`. */
  start(): Promise<void>;
  /**
   * Synchronous last resort for a process `exit` handler, where `stop()` cannot run: asks the
   * postmaster for an immediate shutdown (SIGQUIT) and deletes the directory.
   */
  stopNow(): void;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The directory holding initdb and pg_ctl: PATH first, then the newest Debian install. */
export async function findPostgresBin(): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    if ((await executable(join(dir, "initdb"))) && (await executable(join(dir, "pg_ctl")))) return dir;
  }
  const versions = await readdir("/usr/lib/postgresql").catch(() => [] as string[]);
  versions.sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join("/usr/lib/postgresql", version, "bin");
    if ((await executable(join(dir, "initdb"))) && (await executable(join(dir, "pg_ctl")))) return dir;
  }
  return undefined;
}

/** The user the server runs as when we are root, with its uid and gid. */
async function unprivilegedUser(): Promise<{ name: string; uid: number; gid: number }> {
  for (const name of ["postgres", "nobody"]) {
    try {
      const uid = Number((await run("id", ["-u", name])).stdout.trim());
      const gid = Number((await run("id", ["-g", name])).stdout.trim());
      if (Number.isInteger(uid) && Number.isInteger(gid)) return { name, uid, gid };
    } catch {
      // no such user: try the next
    }
  }
  throw new Error("running as root, but neither a postgres nor a nobody user exists to run PostgreSQL as");
}

function describeFailure(error: unknown): string {
  const e = error as { message?: string; stdout?: string; stderr?: string };
  return [e.message ?? String(error), e.stdout?.trim(), e.stderr?.trim()].filter(Boolean).join("\n");
}

let databaseCounter = 0;

export async function startPostgres(): Promise<PostgresServer> {
  const bin = await findPostgresBin();
  if (!bin) {
    throw new Error(
      "PostgreSQL's initdb and pg_ctl were found neither on PATH nor in /usr/lib/postgresql/*/bin; " +
        "install Debian's postgresql package (.ci/run does)",
    );
  }
  const root = process.getuid?.() === 0;
  const runAs = root ? await unprivilegedUser() : undefined;
  // As root, a directory the unprivileged user can reach (TMPDIR may be under /root).
  const dir = await mkdtemp(join(root ? "/tmp" : tmpdir(), "postgres-"));
  const dataDir = join(dir, "data");
  const logFile = join(dir, "server.log");
  const passwordFile = join(dir, "password");
  const user = "bridge_test";
  const password = randomBytes(12).toString("hex");
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (runAs) {
    await chown(dir, runAs.uid, runAs.gid);
    await chown(passwordFile, runAs.uid, runAs.gid);
  }
  const tool = async (name: string, args: string[], timeoutMs: number, what: string) => {
    const [command, fullArgs] = runAs
      ? ["runuser", ["-u", runAs.name, "--", join(bin, name), ...args]]
      : [join(bin, name), args];
    try {
      return await run(command, fullArgs, { cwd: dir, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 });
    } catch (error) {
      const log = await readFile(logFile, "utf8").catch(() => "");
      throw new Error(
        `${what} failed (or did not finish within ${timeoutMs} ms): ${describeFailure(error)}` +
          (log ? `\nserver log:\n${log.split("\n").slice(-30).join("\n")}` : ""),
        { cause: error },
      );
    }
  };

  let started = false;
  let port = 0;
  const halt = async (mode: "immediate" | "fast" = "immediate") => {
    if (started) {
      started = false;
      await tool(
        "pg_ctl",
        ["stop", "-D", dataDir, "-m", mode, "-w", "-t", "30"],
        40_000,
        "pg_ctl stop",
      ).catch(async (error: unknown) => {
        // Leave no server behind: kill the postmaster named in its pid file.
        const pid = Number(
          (await readFile(join(dataDir, "postmaster.pid"), "utf8").catch(() => "")).split("\n")[0],
        );
        if (pid > 0) process.kill(pid, "SIGKILL");
        throw error;
      });
    }
  };
  const stop = async () => {
    await halt();
    await rm(dir, { recursive: true, force: true });
  };
  const start = async () => {
    if (started) throw new Error("the test PostgreSQL is already running");
    const serverOptions = [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses=127.0.0.1",
      "-c fsync=on",
      "-c shared_buffers=16MB",
      "-c max_connections=60",
      "-c log_min_messages=warning",
    ].join(" ");
    await tool(
      "pg_ctl",
      ["start", "-D", dataDir, "-l", logFile, "-w", "-t", "30", "-o", serverOptions],
      40_000,
      `starting PostgreSQL on port ${port}`,
    );
    started = true;
  };

  const initdbArgs = [
    "-U",
    user,
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    "--encoding=UTF8",
    "--no-locale",
    // Only initdb's own final flush: the server below keeps fsync on.
    "--no-sync",
  ];
  const initdb = (target: string, pwfile: string) =>
    tool("initdb", ["-D", target, ...initdbArgs, `--pwfile=${pwfile}`], 60_000, "initdb");

  /** The cached initdb output for these binaries, user and arguments, made if missing. */
  const cachedCluster = async (): Promise<string> => {
    const key = createHash("sha256")
      .update(JSON.stringify(["v1", bin, runAs?.name ?? "", initdbArgs]))
      .digest("hex")
      .slice(0, 16);
    const cache = join(dirname(dir), `postgres-initdb-cache-${key}`);
    const complete = join(cache, "complete");
    if (await exists(complete)) return join(cache, "data");
    const building = await mkdtemp(`${cache}.building-`);
    try {
      const pwfile = join(building, "password");
      await writeFile(pwfile, `${randomBytes(12).toString("hex")}\n`, { mode: 0o600 });
      if (runAs) {
        await chown(building, runAs.uid, runAs.gid);
        await chown(pwfile, runAs.uid, runAs.gid);
      }
      await initdb(join(building, "data"), pwfile);
      await rm(pwfile);
      await writeFile(join(building, "complete"), "");
      // Fails when another process put its copy in place first: then that one is used.
      await rename(building, cache).catch(() => undefined);
    } finally {
      await rm(building, { recursive: true, force: true });
    }
    if (!(await exists(complete))) throw new Error(`no initdb cache at ${cache} after building one`);
    return join(cache, "data");
  };

  try {
    let copied = false;
    try {
      await run("cp", ["-a", await cachedCluster(), dataDir], { timeout: 60_000 });
      copied = true;
    } catch {
      // No cache (unwritable directory, a broken copy): initdb here, as without one.
      await rm(dataDir, { recursive: true, force: true });
      await initdb(dataDir, passwordFile);
    }
    port = await freePort();
    await start();
    if (copied) {
      // The copy holds the cache's password: set this server's own (over the Unix socket, trusted).
      const admin = new pg.Client({ host: dir, port, user, database: "postgres" });
      await withTimeout(admin.connect(), 10_000, `a socket connection to the test PostgreSQL in ${dir}`);
      try {
        await admin.query(`ALTER ROLE "${user}" PASSWORD '${password}'`);
      } finally {
        await admin.end();
      }
    }

    const uriFor = (database: string, pass: string | null = password) =>
      `postgresql://${user}${pass === null ? "" : `:${encodeURIComponent(pass)}`}@127.0.0.1:${port}/${database}`;

    const createDatabase = async (name: string, options: { template?: string } = {}) => {
      databaseCounter += 1;
      const database = `${name
        .toLowerCase()
        .replace(/[^a-z0-9_]/g, "_")
        .slice(0, 40)}_${process.pid}_${databaseCounter}`;
      const client = new pg.Client({ connectionString: uriFor("postgres") });
      await withTimeout(client.connect(), 10_000, `a connection to the test PostgreSQL on port ${port}`);
      try {
        await withTimeout(
          client.query(`CREATE DATABASE "${database}" TEMPLATE "${options.template ?? "template0"}"`),
          20_000,
          `CREATE DATABASE ${database}`,
        );
      } finally {
        await client.end();
      }
      return uriFor(database);
    };

    const logTail = async (lines = 40) =>
      (await readFile(logFile, "utf8").catch(() => "")).split("\n").slice(-lines).join("\n");

    const stopNow = () => {
      if (started) {
        started = false;
        let pid = 0;
        try {
          pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
        } catch {
          // no pid file: the server is not running
        }
        if (pid > 0) {
          try {
            process.kill(pid, "SIGQUIT");
          } catch {
            // already gone
          }
        }
      }
      rmSync(dir, { recursive: true, force: true });
    };

    return {
      port,
      user,
      password,
      logFile,
      dataDirectory: dataDir,
      createDatabase,
      uriFor,
      logTail,
      stop,
      crash: () => halt("immediate"),
      shutdown: () => halt("fast"),
      start,
      stopNow,
    };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
