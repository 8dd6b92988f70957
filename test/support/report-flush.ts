/**
 * Preloaded into the test runner and every test file's process (`npm test` passes `--import`).
 *
 * With `--test-force-exit` the runner calls `process.exit()` as soon as a file's last test ends,
 * before its report of the last tests has reached the parent, which then counts fewer tests than
 * ran and still exits 0 (nodejs/node#64833; a failure's name and error can be lost the same way,
 * only the file's exit code survives). One run of the suite reported 900 of 924 tests: the rest
 * of one unit file had passed unreported. The force exit stays (matrix-js-sdk leaves request
 * timers armed after `stopClient()`, see docs/development.md), and the exit waits here until
 * standard output has had nothing left to write for three checks in a row (5 s at most).
 */
const exit = process.exit.bind(process);
const MAX_WAIT_MS = 5000;
const CHECK_EVERY_MS = 10;
const QUIET_CHECKS = 3;

process.exit = ((code?: number | string | null) => {
  const deadline = Date.now() + MAX_WAIT_MS;
  let quiet = 0;
  const check = () => {
    quiet = process.stdout.writableLength === 0 ? quiet + 1 : 0;
    if (quiet >= QUIET_CHECKS || Date.now() > deadline) exit(code);
    else setTimeout(check, CHECK_EVERY_MS);
  };
  setImmediate(check);
}) as typeof process.exit;
