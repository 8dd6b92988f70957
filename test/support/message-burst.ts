/**
 * Bursts of numbered messages and the checks a user would make on what arrived: each message
 * once, in the order sent, and (on Signal, where author and timestamp identify a message) each
 * with its own timestamp, increasing in the order sent so that Signal apps show that order.
 */
import assert from "node:assert/strict";
import { describeDifferences, type ReceivedMessage } from "./contact-inbox.js";
import type { MatrixUser } from "./matrix-user.js";

/** `count` bodies "<prefix> 001", "<prefix> 002", ... */
export const numbered = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix} ${String(i + 1).padStart(3, "0")}`);

/**
 * Sends the texts one after another, each once the homeserver has accepted the one before;
 * resolves to their event ids.
 */
export async function sendTexts(
  user: MatrixUser,
  roomId: string,
  bodies: readonly string[],
): Promise<string[]> {
  const eventIds: string[] = [];
  for (const body of bodies) eventIds.push(await user.sendText(roomId, body));
  return eventIds;
}

/** Asserts that `received` is `expected`: nothing missing, doubled, unexpected or reordered. */
export function assertExactlyOnceInOrder(
  expected: readonly string[],
  received: readonly string[],
  what: string,
): void {
  const differences = describeDifferences(expected, received);
  assert.equal(differences, "", `${what}: ${differences}`);
}

/** Asserts that the messages carry distinct timestamps, increasing in arrival order. */
export function assertIncreasingTimestamps(messages: readonly ReceivedMessage[], what: string): void {
  const distinct = new Set(messages.map((message) => message.timestamp)).size;
  assert.equal(
    distinct,
    messages.length,
    `${what}: ${messages.length - distinct} messages share a timestamp with another (a Signal app shows only one of them)`,
  );
  const backwards = messages.findIndex(
    (message, i) => i > 0 && message.timestamp < messages[i - 1]!.timestamp,
  );
  assert.equal(
    backwards,
    -1,
    backwards < 0
      ? ""
      : `${what}: "${messages[backwards]!.body}" has an earlier timestamp than "${messages[backwards - 1]!.body}" before it (Signal apps order by timestamp)`,
  );
}

/** Collects the failures of several checks, so that one failure report names all of them. */
export class Findings {
  private readonly failures: string[] = [];

  /** Runs `body`; a failure is noted under `what` instead of ending the test. */
  async check(what: string, body: () => Promise<void> | void): Promise<void> {
    try {
      await body();
    } catch (error) {
      this.failures.push(`${what}: ${(error as Error).message.split("\n")[0]}`);
    }
  }

  /** Fails with every noted failure, one per line. */
  assertNone(): void {
    if (this.failures.length > 0) assert.fail(this.failures.join("\n"));
  }
}
