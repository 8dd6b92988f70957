import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decryptionFailedNotice,
  safetyNumberChangedNotice,
  signalCallEventToMatrix,
  signalCallToMatrix,
  signalGroupChangeToMatrix,
  signalStoryToMatrix,
  type GroupChangeAction,
} from "../../../src/convert/index.js";
import { ALICE, BOB, signalContext } from "./fake-context.js";

const ctx = signalContext();

const groupCases: { action: GroupChangeAction; text: string; editor?: string }[] = [
  { action: { kind: "title", title: "Hikers" }, text: 'Alice changed the group name to "Hikers"' },
  { action: { kind: "description", description: "" }, text: "Alice removed the group description" },
  {
    action: { kind: "description", description: "Trips" },
    text: 'Alice changed the group description to "Trips"',
  },
  { action: { kind: "avatar", removed: false }, text: "Alice changed the group avatar" },
  { action: { kind: "timer", seconds: 3600 }, text: "Alice set disappearing messages to 1 hour" },
  { action: { kind: "timer", seconds: 0 }, text: "Alice turned off disappearing messages" },
  { action: { kind: "member-added", aci: BOB }, text: "Alice added Bob <the builder>" },
  {
    action: { kind: "member-added", aci: BOB, viaInviteLink: true },
    text: "Bob <the builder> joined the group",
  },
  { action: { kind: "member-removed", aci: BOB }, text: "Alice removed Bob <the builder>" },
  { action: { kind: "member-removed", aci: ALICE }, text: "Alice left the group" },
  { action: { kind: "member-invited", serviceId: BOB }, text: "Alice invited Bob <the builder>" },
  { action: { kind: "invite-revoked", serviceId: ALICE }, text: "Alice declined the invitation" },
  {
    action: { kind: "invite-accepted", aci: BOB },
    text: "Bob <the builder> accepted the invitation and joined the group",
  },
  { action: { kind: "join-requested", aci: BOB }, text: "Bob <the builder> asked to join the group" },
  {
    action: { kind: "join-request-approved", aci: BOB },
    text: "Alice approved Bob <the builder>'s request to join",
  },
  {
    action: { kind: "join-request-cancelled", aci: BOB },
    text: "Alice denied Bob <the builder>'s request to join",
  },
  { action: { kind: "role", aci: BOB, admin: true }, text: "Alice made Bob <the builder> an admin" },
  { action: { kind: "role", aci: BOB, admin: false }, text: "Alice removed Bob <the builder> as an admin" },
  { action: { kind: "banned", serviceId: BOB }, text: "Alice banned Bob <the builder>" },
  {
    action: { kind: "access-attributes", access: "admins" },
    text: "Alice changed who can edit the group info to only admins",
  },
  {
    action: { kind: "access-members", access: "members" },
    text: "Alice changed who can add members to all members",
  },
  { action: { kind: "access-invite-link", access: "anyone" }, text: "Alice turned on the group link" },
  { action: { kind: "access-invite-link", access: "nobody" }, text: "Alice turned off the group link" },
  {
    action: { kind: "announcements-only", enabled: true },
    text: "Alice allowed only admins to send messages",
  },
  { action: { kind: "terminated" }, text: "Alice ended the group" },
];

for (const c of groupCases) {
  test(`group change notice: ${c.action.kind} -> "${c.text}"`, async () => {
    const content = await signalGroupChangeToMatrix({ editorAci: ALICE, actions: [c.action] }, ctx);
    assert.equal(content?.msgtype, "m.notice");
    assert.equal(content?.body, c.text);
  });
}

test("group change notice: several actions are one notice, an unknown editor is 'Someone'", async () => {
  const content = await signalGroupChangeToMatrix(
    {
      actions: [
        { kind: "title", title: "A" },
        { kind: "avatar", removed: true },
      ],
    },
    ctx,
  );
  assert.equal(content?.body, 'Someone changed the group name to "A"\nSomeone removed the group avatar');
  assert.equal(await signalGroupChangeToMatrix({ editorAci: ALICE, actions: [] }, ctx), undefined);
});

test("call notices: offer, hangup kinds, ICE only", () => {
  assert.match(signalCallToMatrix({ offer: { id: 1, type: 1 } })?.body ?? "", /Started a video call/);
  assert.match(signalCallToMatrix({ offer: { id: 1, type: 0 } })?.body ?? "", /Started a voice call/);
  assert.match(signalCallToMatrix({ hangup: { id: 1, type: 2 } })?.body ?? "", /declined/);
  assert.match(signalCallToMatrix({ hangup: { id: 1, type: 0 } })?.body ?? "", /The call ended/);
  assert.match(signalCallToMatrix({ busy: { id: 1 } })?.body ?? "", /busy/);
  assert.equal(signalCallToMatrix({ iceUpdate: [{ id: 1 }] }), undefined);
});

test("call event notices from other devices", () => {
  assert.equal(signalCallEventToMatrix({ type: 2, direction: 1, event: 2 })?.body, "Missed video call");
  assert.equal(signalCallEventToMatrix({ type: 1, direction: 2, event: 1 })?.body, "Outgoing voice call");
  assert.equal(signalCallEventToMatrix({ type: 3, direction: 2, event: 2 })?.body, "Unanswered group call");
  assert.equal(signalCallEventToMatrix({ type: 1, direction: 1, event: 3 }), undefined);
});

test("story notices: text (escaped, styled), link, media", async () => {
  const text = await signalStoryToMatrix(
    { textAttachment: { text: "<hello>" }, bodyRanges: [{ start: 1, length: 5, style: 1 }] },
    ctx,
  );
  assert.equal(text.body, "Posted a story: <hello>");
  assert.equal(text.formatted_body, "Posted a story:<br>&lt;<strong>hello</strong>&gt;");
  assert.equal(
    (await signalStoryToMatrix({ textAttachment: { preview: { url: "https://x.org" } } }, ctx)).body,
    "Posted a story with a link: https://x.org",
  );
  assert.match(
    (await signalStoryToMatrix({ fileAttachment: { contentType: "video/mp4" } }, ctx)).body,
    /with a video/,
  );
});

test("safety number and decryption failure notices name the contact", async () => {
  assert.match(
    (await safetyNumberChangedNotice(BOB, ctx)).body,
    /safety number with Bob <the builder> changed/,
  );
  assert.match((await decryptionFailedNotice(ALICE, ctx)).body, /from Alice could not be decrypted/);
});
