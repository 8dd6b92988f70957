// The bridge's log lines as an operator reads them (text) and as a log collector parses them (JSON).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger, type LogFormat, type LoggerOptions } from "../../src/logger.js";

function capture(format: LogFormat, options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", format, write: (line) => void lines.push(line), ...options });
  return { logger, lines };
}

test("text lines: time, level, scope and message; fields the message does not name are appended", () => {
  const { logger, lines } = capture("text");
  const child = logger.child("logins").with({ user: "@alice:example.org", signal_event: "env-1" });
  child.info("started the Signal client of @alice:example.org");
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO {2}\[bridge:logins\] started the Signal client of @alice:example\.org signal_event=env-1\n$/,
  );
});

test("JSON lines: one object per line with time, level, scope, msg, the fields and the error", () => {
  const { logger, lines } = capture("json");
  const failure = new Error("the homeserver said no");
  logger
    .child("matrix-events")
    .with({ room: "!r:example.org", event: "$e1" })
    .error("m.room.message $e1 could not be handled; skipped", failure, { attempt: 3 });
  logger.with({ module: "MatrixHttpClient" }).debug('message with "quotes"\nand a newline');
  assert.equal(lines.length, 2);
  for (const line of lines) {
    assert.ok(line.endsWith("\n"));
    assert.equal(line.indexOf("\n"), line.length - 1, "exactly one line");
  }
  const first = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(first["level"], "error");
  assert.equal(first["scope"], "bridge:matrix-events");
  assert.equal(first["msg"], "m.room.message $e1 could not be handled; skipped");
  assert.equal(first["room"], "!r:example.org");
  assert.equal(first["event"], "$e1");
  assert.match(String(first["error"]), /^Error: the homeserver said no\n\s+at /);
  assert.deepEqual(first["details"], ['{"attempt":3}']);
  assert.ok(!Number.isNaN(Date.parse(String(first["time"]))));
  const second = JSON.parse(lines[1]!) as Record<string, unknown>;
  assert.equal(second["msg"], 'message with "quotes"\nand a newline');
  assert.equal(second["module"], "MatrixHttpClient");
});

test("lines below the level are not written", () => {
  const lines: string[] = [];
  const logger = createLogger({ level: "warn", format: "json", write: (line) => void lines.push(line) });
  logger.debug("no");
  logger.info("no");
  logger.child("x").with({ user: "@u:hs" }).warn("yes");
  assert.equal(lines.length, 1);
});

test("secrets never reach the log, in either format, whoever logs them", () => {
  const asToken = "as-0123456789abcdef";
  const hsToken = "hs-fedcba9876543210";
  for (const format of ["text", "json"] as const) {
    const { logger, lines } = capture(format, { secrets: [asToken, hsToken] });
    logger.info(`registration with ${asToken}`);
    logger.child("appservice-lib").debug("PUT /transactions/1", { access_token: hsToken });
    logger.warn(
      "request failed",
      new Error(`GET http://hs/_matrix/client/v3/sync?access_token=syt_other_user`),
    );
    logger.debug("headers", { Authorization: "Bearer syt_someone_elses_token" });
    const all = lines.join("");
    assert.ok(!all.includes(asToken), `${format}: as_token written`);
    assert.ok(!all.includes(hsToken), `${format}: hs_token written`);
    assert.ok(!all.includes("syt_other_user"), `${format}: access_token in a URL written`);
    assert.ok(!all.includes("syt_someone_elses_token"), `${format}: bearer token written`);
    assert.match(all, /<redacted>/);
    if (format === "json") for (const line of lines) JSON.parse(line);
  }
});

test("a failing writer does not make logging throw", () => {
  const logger = createLogger({
    level: "debug",
    format: "json",
    write: () => {
      throw new Error("disk full");
    },
  });
  assert.doesNotThrow(() => logger.error("still fine"));
});

test("the short form used by tests still makes text lines", () => {
  const lines: string[] = [];
  createLogger("info", "test", (line) => void lines.push(line)).info("hello");
  assert.match(lines[0]!, / INFO {2}\[test\] hello\n$/);
});
