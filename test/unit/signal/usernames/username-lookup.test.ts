import assert from "node:assert/strict";
import { test } from "node:test";
import { Aci, usernames } from "@signalapp/libsignal-client";
import {
  InvalidUsernameError,
  looksLikeUsername,
  lookUpUsername,
} from "../../../../src/signal/usernames/username-lookup.js";

type Connection = Parameters<typeof lookUpUsername>[0];

/** A connection that answers username-hash lookups from a table, recording the hashes asked for. */
function connectionKnowing(owners: Record<string, string>): { connection: Connection; asked: string[] } {
  const asked: string[] = [];
  const byHash = new Map(
    Object.entries(owners).map(([name, aci]) => [Buffer.from(usernames.hash(name)).toString("hex"), aci]),
  );
  const connection = {
    lookUpUsernameHash: ({ hash }: { hash: Uint8Array }) => {
      const hex = Buffer.from(hash).toString("hex");
      asked.push(hex);
      const aci = byHash.get(hex);
      return Promise.resolve(aci ? Aci.fromUuid(aci) : null);
    },
  } as unknown as Connection;
  return { connection, asked };
}

test("usernames are recognised by shape, with or without a leading @", () => {
  for (const text of ["alice.42", "@alice.42", " bob_smith.01 ", "9lives.42"])
    assert.ok(looksLikeUsername(text), text);
  for (const text of ["Alice", "Alice Smith", "+1 415 555 0100", "a.b", "alice.42 and more"])
    assert.ok(!looksLikeUsername(text), text);
});

test("a username resolves to the ACI the server has for its hash; the server never sees the name", async () => {
  const aci = "5e1e8a5e-0d7b-4c43-9a5f-3c2b8b8a4d11";
  const { connection, asked } = connectionKnowing({ "alice.42": aci });
  assert.equal(await lookUpUsername(connection, "@alice.42"), aci);
  assert.equal(await lookUpUsername(connection, "nobody.99"), null);
  assert.ok(asked.every((hex) => !Buffer.from(hex, "hex").toString().includes("alice")));
});

test("a malformed username is refused with what is wrong, before anything is asked", async () => {
  const { connection, asked } = connectionKnowing({});
  await assert.rejects(lookUpUsername(connection, "9lives.42"), (error: unknown) => {
    assert.ok(error instanceof InvalidUsernameError);
    assert.match(error.message, /"9lives\.42" is not a Signal username: it cannot start with a digit/);
    return true;
  });
  await assert.rejects(
    lookUpUsername(connection, "al!ce.42"),
    /only letters, digits and _ may come before the dot/,
  );
  assert.deepEqual(asked, []);
});
