/**
 * The database an e2e bridge keeps its state in. SQLite (`bridge.db` in the bridge's directory)
 * unless BRIDGE_TEST_DATABASE=postgres: then one throwaway PostgreSQL server per test process,
 * started on first use (test/support/postgres-server.ts), gives each prepared bridge a database
 * of its own; the bridge's restarts keep its config, so they reuse it. The URI carries the
 * password, which the bridge must never log.
 *
 * `runOnPostgres` runs a test module again this way (test/e2e/postgres/*.test.ts): it stops the
 * server once the module's tests and hooks are done and fails the run if a bridge logged the
 * password. Should that hook not run, the server is stopped when the process exits.
 */
import { after, type TestContext } from "node:test";
import { type PostgresServer, startPostgres } from "./postgres-server.js";

export type TestDatabaseType = "sqlite" | "postgres";

/** The database type the bridges of this test process use (BRIDGE_TEST_DATABASE). */
export function testDatabaseType(): TestDatabaseType {
  const value = process.env["BRIDGE_TEST_DATABASE"] ?? "sqlite";
  if (value !== "sqlite" && value !== "postgres") {
    throw new Error(`BRIDGE_TEST_DATABASE is ${JSON.stringify(value)}; use sqlite or postgres`);
  }
  return value;
}

let server: Promise<PostgresServer> | undefined;
let started: PostgresServer | undefined;

/** The test process's PostgreSQL server, started on the first call. */
export function testPostgres(): Promise<PostgresServer> {
  if (!server) {
    process.once("exit", () => started?.stopNow());
    server = startPostgres().then(
      (running) => (started = running),
      (error: unknown) => {
        server = undefined;
        throw error;
      },
    );
  }
  return server;
}

/** Each PostgreSQL bridge's log so far, and the password it must not contain. */
const watchedLogs: { output: () => string; secret: string }[] = [];

/** Notes a bridge's log to check, at the end of the run, for `secret`. */
export function watchLogForSecret(output: () => string, secret: string): void {
  watchedLogs.push({ output, secret });
}

/** The bridges (by index of preparation) whose log contains their database password. */
export function bridgesThatLoggedTheirPassword(): number[] {
  return watchedLogs.flatMap(({ output, secret }, index) => (output().includes(secret) ? [index] : []));
}

export interface BridgeDatabase {
  /** The config's `database` section. */
  section: Record<string, unknown>;
  /** The PostgreSQL URI (with its password), for a second bridge on the same database. */
  uri: string | undefined;
  /** The PostgreSQL password: what the bridge's log must not contain. */
  secret: string | undefined;
}

/** A `database` config section for a new bridge: its own SQLite file or PostgreSQL database. */
export async function newBridgeDatabase(): Promise<BridgeDatabase> {
  if (testDatabaseType() === "sqlite") {
    return { section: { path: "bridge.db", key_file: "bridge.key" }, uri: undefined, secret: undefined };
  }
  const postgres = await testPostgres();
  const uri = await postgres.createDatabase("bridge");
  return { section: { type: "postgres", uri, key_file: "bridge.key" }, uri, secret: postgres.password };
}

/**
 * Stops the server (if started); fails if no bridge opened a PostgreSQL database, or if a bridge
 * logged its database password.
 */
export async function finishPostgresRun(): Promise<void> {
  const running = server;
  server = undefined;
  started = undefined;
  if (running) await (await running).stop();
  if (!watchedLogs.some(({ output }) => output().includes("database (postgres) opened at"))) {
    throw new Error('no bridge of this run logged "database (postgres) opened at": none ran on PostgreSQL');
  }
  const leaked = bridgesThatLoggedTheirPassword();
  if (leaked.length > 0) {
    throw new Error(`bridge(s) ${leaked.join(", ")} logged their PostgreSQL password (from database.uri)`);
  }
}

/**
 * Runs the tests `load` registers (e.g. `() => import("../relay.test.js")`) with their bridges on
 * PostgreSQL; call it at the top level of a test file. The server stops after the module's own
 * `after` hooks (this one is registered after theirs).
 */
export async function runOnPostgres(load: () => Promise<unknown>): Promise<void> {
  process.env["BRIDGE_TEST_DATABASE"] = "postgres";
  await load();
  after(finishPostgresRun);
}

/**
 * For a test of a PostgreSQL rerun that adds little there (what it faults is not the store) and
 * would make the run much longer: on PostgreSQL, marks it skipped and returns true (the test
 * returns), else returns false.
 */
export function skippedOnPostgres(t: TestContext, why: string): boolean {
  if (testDatabaseType() !== "postgres") return false;
  t.skip(`runs on SQLite only: ${why}`);
  return true;
}
