import assert from "node:assert/strict";
import { test } from "node:test";
// Makes matrix-appservice-bridge loadable without the native crypto library, as in the bridge.
import "../../../src/bridge/native-matrix-crypto.js";
import { GlobalLogger, Logger as LibraryLogger } from "matrix-appservice-bridge";
import {
  botSdkLineLevel,
  formatPart,
  isExpectedAnswer,
  libraryLineLevel,
  routeLibraryLogs,
} from "../../../src/bridge/library-logs.js";
import { createLogger, type LogLevel } from "../../../src/logger.js";

/** A matrix-bot-sdk MatrixError as its client throws and logs it. */
const matrixError = (statusCode: number, errcode: string, error: string) =>
  Object.assign(new Error(`${errcode}: ${error}`), { statusCode, errcode, error, body: { errcode, error } });

test("answers the bridge expects are debug, not errors", () => {
  // Registering a ghost that exists already: the error body, and the bot-sdk's own line about it.
  assert.equal(
    botSdkLineLevel("error", "MatrixHttpClient", [
      "(REQ-7)",
      { errcode: "M_USER_IN_USE", error: "User ID already taken." },
    ]),
    "debug",
  );
  assert.equal(
    botSdkLineLevel("error", "Appservice", ["Error registering user: User ID is in use"]),
    "debug",
  );
  assert.equal(
    botSdkLineLevel("error", "MatrixHttpClient", [
      "(REQ-8)",
      { errcode: "M_NOT_FOUND", error: "Room account data not found" },
    ]),
    "debug",
  );
  assert.ok(isExpectedAnswer([matrixError(400, "M_USER_IN_USE", "User ID already taken.")]));
});

test("real errors keep their level", () => {
  assert.equal(
    botSdkLineLevel("error", "MatrixHttpClient", [
      "(REQ-9)",
      { errcode: "M_FORBIDDEN", error: "not in room" },
    ]),
    "error",
  );
  assert.equal(
    botSdkLineLevel("error", "MatrixHttpClient", [
      "(REQ-9)",
      { errcode: "M_NOT_FOUND", error: "Unknown room" },
    ]),
    "error",
  );
  assert.equal(botSdkLineLevel("warn", "Appservice", ["something odd"]), "warn");
  assert.equal(libraryLineLevel("ERROR", ["Failed to handle event"]), "error");
  assert.equal(libraryLineLevel("WARN", ["slow"]), "warn");
});

test("the homeserver being away is one warning line per request, not an error with a stack", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8008"), { code: "ECONNREFUSED" });
  assert.equal(botSdkLineLevel("error", "MatrixHttpClient", ["(REQ-3)", refused]), "warn");
  assert.equal(formatPart(refused), "connect ECONNREFUSED 127.0.0.1:8008");
});

test("request narration is debug", () => {
  assert.equal(
    botSdkLineLevel("info", "MatrixHttpClient", ["(REQ-1)", "GET http://hs/_matrix/client/versions"]),
    "debug",
  );
  assert.equal(botSdkLineLevel("trace", "MatrixHttpClient", ["body"]), "debug");
  assert.equal(libraryLineLevel("INFO", ["transaction 5 handled"]), "debug");
});

test("logged values become one line: errors without stack, Matrix errors by status and errcode, bodies as JSON", () => {
  const withStack = new TypeError("boom");
  assert.equal(formatPart(withStack), "TypeError: boom");
  assert.equal(
    formatPart(matrixError(403, "M_FORBIDDEN", "You are not invited")),
    "403 M_FORBIDDEN: You are not invited",
  );
  assert.equal(formatPart({ errcode: "M_UNKNOWN", error: "x" }), "M_UNKNOWN: x");
  assert.equal(formatPart({ a: 1 }), '{"a":1}');
  assert.equal(formatPart("x".repeat(600)).length, 501);
});

test("library lines below the bridge's level are dropped; warnings and errors come through", async () => {
  const linesAt = async (level: LogLevel) => {
    const lines: string[] = [];
    const root = new GlobalLogger();
    routeLibraryLogs(
      createLogger(level, "test", (line) => lines.push(line)),
      level,
      root,
    );
    const library = new LibraryLogger("Intent", {}, root);
    library.debug("checking registration");
    library.info("sending an event");
    library.warn("slow homeserver");
    library.error("room gone");
    await new Promise((resolve) => setImmediate(resolve));
    return lines.filter((line) => line.includes(" Intent ")).map((line) => line.replace(/^\S+ /, "").trim());
  };
  assert.deepEqual(await linesAt("info"), [
    "WARN  [test:appservice-lib] Intent slow homeserver",
    "ERROR [test:appservice-lib] Intent room gone",
  ]);
  assert.equal((await linesAt("debug")).length, 4, "at debug, the narration too");
});
