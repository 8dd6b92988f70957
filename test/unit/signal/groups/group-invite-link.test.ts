import assert from "node:assert/strict";
import { test } from "node:test";
import {
  groupInviteLinkOf,
  InvalidGroupLinkError,
  parseGroupInviteLink,
} from "../../../../src/signal/index.js";

const masterKey = new Uint8Array(32).map((_, i) => i);
const password = new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6]);

test("a group link carries the group's master key and the link's password, both ways", () => {
  const link = groupInviteLinkOf({ masterKey, password });
  assert.match(link, /^https:\/\/signal\.group\/#[A-Za-z0-9_-]+$/);
  const parsed = parseGroupInviteLink(` ${link} `);
  assert.deepEqual(parsed, { masterKey, password });
  assert.deepEqual(parseGroupInviteLink(link.replace("https://", "sgnl://")), { masterKey, password });
});

test("what is no group link, or a damaged one, is refused with a reason", () => {
  for (const text of ["", "https://signal.org/#abc", "https://signal.group/", "https://signal.group/#%%%"]) {
    assert.throws(() => parseGroupInviteLink(text), InvalidGroupLinkError, JSON.stringify(text));
  }
  assert.throws(() => parseGroupInviteLink("https://signal.group/#AAAA"), /damaged/);
  const shortKey = groupInviteLinkOf({ masterKey: new Uint8Array(16), password });
  assert.throws(() => parseGroupInviteLink(shortKey), /damaged/);
});
