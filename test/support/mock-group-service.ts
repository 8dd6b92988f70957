/**
 * Help for the mock's groups service, as a real one would behave, kept out of src/.
 *
 * The mock applies titles, timers, invitations, removals, promotions of invited members and
 * group ends itself; it leaves out the rest of a change (descriptions, avatars, added members,
 * roles, access rules, the group link, announcements, bans, join requests). `helpGroupService`
 * completes every change with those parts, checks Signal's access rules for them, and signs the
 * completed change again with the server key, so clients see one signed change in the log and in
 * the response. It also serves what the mock lacks: the avatar upload form
 * (`GET /v2/groups/avatar/form`), the CDN 0 upload it points to, and the group link preview
 * (`GET /v2/groups/join/<password>`).
 */
import { randomUUID } from "node:crypto";
import type { Http2SecureServer, Http2ServerRequest, Http2ServerResponse } from "node:http2";
import {
  GroupPublicParams,
  type ServerSecretParams,
} from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import { Proto } from "@signalapp/mock-server";
import type { MockSignalServer } from "./mock-signal-server.js";

type Server = MockSignalServer["server"];
type ServerGroup = NonNullable<Awaited<ReturnType<Server["getGroup"]>>>;
type Actions = Proto.GroupChange.Actions;
type GroupState = { -readonly [K in keyof Proto.Group.Params]: Proto.Group.Params[K] };
type Member = Proto.Member.Params;

const { AccessRequired } = Proto.AccessControl;
const { Role } = Proto.Member;

interface ServerGroupInternals {
  zkSecret: ServerSecretParams;
  unrollMember(member: { role: number; presentation: Uint8Array }): Member;
}

const helped = new WeakSet<Server>();

export function helpGroupService(mock: MockSignalServer): void {
  const server = mock.server;
  if (helped.has(server)) return;
  helped.add(server);
  const modify = server.modifyGroup.bind(server);
  server.modifyGroup = async (options) => {
    const result = await modify(options);
    if (result.conflict || !result.signedChange) return result;
    const signedChange = completeChange(options.group, options.actions as Actions);
    return { ...result, signedChange: signedChange ?? result.signedChange };
  };
  serveMissingRoutes(mock);
}

const same = (a: Uint8Array | null | undefined, b: Uint8Array | null | undefined) =>
  !!a && !!b && Buffer.from(a).equals(Buffer.from(b));

/**
 * Adds the parts of `request` the mock left out to the change it just logged; returns the change
 * signed again, or undefined when nothing was left out.
 */
function completeChange(serverGroup: ServerGroup, request: Actions): Proto.GroupChange.Params | undefined {
  const log = serverGroup.changes.groupChanges ?? [];
  const entry = log.at(-1) as { groupChange: Proto.GroupChange.Params; groupState: GroupState } | undefined;
  const before = log.at(-2)?.groupState as GroupState | undefined;
  if (!entry?.groupChange?.actions || !before) return undefined;
  const applied = Proto.GroupChange.Actions.decode(new Uint8Array(entry.groupChange.actions));
  const state = entry.groupState;
  const internals = serverGroup as unknown as ServerGroupInternals;
  const editorId = applied.sourceUserId;
  const editor = (before.members ?? []).find((member) => same(member.userId, editorId));
  const access: Partial<Proto.AccessControl.Params> = before.accessControl ?? {};
  const check = (required: number | null | undefined, what: string, self = false) => {
    if (self) return;
    if (required === AccessRequired.ANY) return;
    if (required === AccessRequired.MEMBER && editor) return;
    if (required === AccessRequired.ADMINISTRATOR && editor?.role === Role.ADMINISTRATOR) return;
    throw new Error(`the groups service refuses: ${what}`);
  };
  const adminOnly = (what: string) => check(AccessRequired.ADMINISTRATOR, what);
  let changed = false;
  const note = () => (changed = true);

  if (request.modifyDescription) {
    check(access.attributes, "description");
    applied.modifyDescription = request.modifyDescription;
    state.description = request.modifyDescription.description;
    note();
  }
  if (request.modifyAvatar) {
    check(access.attributes, "avatar");
    applied.modifyAvatar = request.modifyAvatar;
    state.avatarUrl = request.modifyAvatar.avatar ?? "";
    note();
  }
  for (const { added, joinFromInviteLink } of request.addMembers ?? []) {
    if (!added?.presentation) continue;
    const unrolled = internals.unrollMember({
      role: added.role ?? Role.DEFAULT,
      presentation: added.presentation,
    });
    const member: Member = {
      ...unrolled,
      role: added.role ?? Role.DEFAULT,
      joinedAtVersion: applied.version,
    };
    const self = same(member.userId, editorId);
    if (joinFromInviteLink) {
      if (!self || access.addFromInviteLink !== AccessRequired.ANY)
        throw new Error("the group link does not let them in");
    } else check(access.members, "add members");
    applied.addMembers = [
      ...(applied.addMembers ?? []),
      { added: { ...member, presentation: null }, joinFromInviteLink },
    ] as never;
    state.members = [...(state.members ?? []), member];
    state.membersPendingProfileKey = (state.membersPendingProfileKey ?? []).filter(
      (p) => !same(p.member?.userId, member.userId),
    );
    state.membersPendingAdminApproval = (state.membersPendingAdminApproval ?? []).filter(
      (r) => !same(r.userId, member.userId),
    );
    note();
  }
  for (const { userId, role } of request.modifyMemberRoles ?? []) {
    adminOnly("roles");
    state.members = (state.members ?? []).map((member) =>
      same(member.userId, userId) ? { ...member, role } : member,
    );
    applied.modifyMemberRoles = [...(applied.modifyMemberRoles ?? []), { userId, role }] as never;
    note();
  }
  if (request.modifyAttributesAccess) {
    adminOnly("access");
    applied.modifyAttributesAccess = request.modifyAttributesAccess;
    state.accessControl = {
      ...state.accessControl,
      attributes: request.modifyAttributesAccess.attributesAccess,
    } as never;
    note();
  }
  if (request.modifyMemberAccess) {
    adminOnly("access");
    applied.modifyMemberAccess = request.modifyMemberAccess;
    state.accessControl = {
      ...state.accessControl,
      members: request.modifyMemberAccess.membersAccess,
    } as never;
    note();
  }
  if (request.modifyAddFromInviteLinkAccess) {
    adminOnly("access");
    applied.modifyAddFromInviteLinkAccess = request.modifyAddFromInviteLinkAccess;
    state.accessControl = {
      ...state.accessControl,
      addFromInviteLink: request.modifyAddFromInviteLinkAccess.addFromInviteLinkAccess,
    } as never;
    note();
  }
  if (request.modifyInviteLinkPassword) {
    adminOnly("group link");
    applied.modifyInviteLinkPassword = request.modifyInviteLinkPassword;
    state.inviteLinkPassword = request.modifyInviteLinkPassword.inviteLinkPassword;
    note();
  }
  if (request.modifyAnnouncementsOnly) {
    adminOnly("announcements");
    applied.modifyAnnouncementsOnly = request.modifyAnnouncementsOnly;
    state.announcementsOnly = request.modifyAnnouncementsOnly.announcementsOnly;
    note();
  }
  for (const { added } of request.addMembersBanned ?? []) {
    if (!added?.userId) continue;
    adminOnly("bans");
    const banned = { userId: added.userId, timestamp: BigInt(Date.now()) };
    state.membersBanned = [...(state.membersBanned ?? []), banned] as never;
    applied.addMembersBanned = [...(applied.addMembersBanned ?? []), { added: banned }] as never;
    note();
  }
  for (const { added } of request.addMembersPendingAdminApproval ?? []) {
    if (!added?.presentation) continue;
    if (access.addFromInviteLink !== AccessRequired.ADMINISTRATOR)
      throw new Error("the group link asks no approval");
    const unrolled = internals.unrollMember({ role: Role.DEFAULT, presentation: added.presentation });
    const requesting = {
      userId: unrolled.userId,
      profileKey: unrolled.profileKey,
      presentation: null,
      timestamp: BigInt(Date.now()),
    };
    state.membersPendingAdminApproval = [...(state.membersPendingAdminApproval ?? []), requesting] as never;
    applied.addMembersPendingAdminApproval = [
      ...(applied.addMembersPendingAdminApproval ?? []),
      { added: requesting },
    ] as never;
    note();
  }
  for (const { deletedUserId } of request.deleteMembersPendingAdminApproval ?? []) {
    check(AccessRequired.ADMINISTRATOR, "deny requests", same(deletedUserId, editorId));
    state.membersPendingAdminApproval = (state.membersPendingAdminApproval ?? []).filter(
      (r) => !same(r.userId, deletedUserId),
    );
    applied.deleteMembersPendingAdminApproval = [
      ...(applied.deleteMembersPendingAdminApproval ?? []),
      { deletedUserId },
    ] as never;
    note();
  }
  for (const { userId, role } of request.promoteMembersPendingAdminApproval ?? []) {
    adminOnly("approve requests");
    const requesting = (state.membersPendingAdminApproval ?? []).find((r) => same(r.userId, userId));
    if (!requesting) throw new Error("no such request to join");
    state.membersPendingAdminApproval = (state.membersPendingAdminApproval ?? []).filter(
      (r) => r !== requesting,
    );
    state.members = [
      ...(state.members ?? []),
      {
        userId,
        role,
        profileKey: requesting.profileKey,
        presentation: null,
        joinedAtVersion: applied.version,
        labelEmoji: null,
        labelString: null,
      },
    ];
    applied.promoteMembersPendingAdminApproval = [
      ...(applied.promoteMembersPendingAdminApproval ?? []),
      { userId, role },
    ] as never;
    note();
  }
  if (!changed) return undefined;
  const encoded = Proto.GroupChange.Actions.encode(applied as never);
  entry.groupChange = { ...entry.groupChange, actions: encoded };
  return { ...entry.groupChange, serverSignature: internals.zkSecret.sign(Buffer.from(encoded)).serialize() };
}

/** Routes the mock lacks, answered before its own handler sees the request. */
function serveMissingRoutes(mock: MockSignalServer): void {
  const http2Server = (mock.server as unknown as { https: Http2SecureServer }).https;
  const [mockHandler] = http2Server.listeners("request") as Array<
    (req: Http2ServerRequest, res: Http2ServerResponse) => void
  >;
  if (!mockHandler) throw new Error("the mock server has no request handler to wrap");
  http2Server.removeAllListeners("request");
  http2Server.on("request", (req: Http2ServerRequest, res: Http2ServerResponse) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    const route =
      req.method === "GET" && path === "/storageService/v2/groups/avatar/form"
        ? avatarForm
        : req.method === "POST" && path === "/"
          ? cdn0Upload
          : req.method === "GET" && path.startsWith("/storageService/v2/groups/join/")
            ? joinInfo
            : undefined;
    if (!route) return mockHandler.call(http2Server, req, res);
    route(mock, req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
}

async function avatarForm(_mock: MockSignalServer, _req: Http2ServerRequest, res: Http2ServerResponse) {
  const form = Proto.AvatarUploadAttributes.encode({
    key: `attachments/${randomUUID()}`,
    credential: "mock-credential",
    acl: "private",
    algorithm: "AWS4-HMAC-SHA256",
    date: new Date().toISOString(),
    policy: "mock-policy",
    signature: "mock-signature",
  } as never);
  res.writeHead(200, { "content-type": "application/x-protobuf" });
  res.end(Buffer.from(form));
}

/** An S3-style form upload: the file is stored under the form's key, served at /attachments/<id>. */
async function cdn0Upload(mock: MockSignalServer, req: Http2ServerRequest, res: Http2ServerResponse) {
  const boundary = /boundary=([^;]+)/.exec(req.headers["content-type"] ?? "")?.[1];
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const fields = boundary ? multipartFields(Buffer.concat(chunks), boundary) : new Map<string, Buffer>();
  const key = fields.get("key")?.toString();
  const file = fields.get("file");
  if (!key?.startsWith("attachments/") || !file) {
    res.writeHead(400);
    res.end("expected a key and a file");
    return;
  }
  (mock.server as unknown as { attachments: Map<string, Buffer> }).attachments.set(
    key.slice("attachments/".length),
    file,
  );
  res.writeHead(204);
  res.end();
}

function multipartFields(body: Buffer, boundary: string): Map<string, Buffer> {
  const fields = new Map<string, Buffer>();
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2);
    const headerEnd = part.indexOf("\r\n\r\n");
    const name = /name="([^"]+)"/.exec(part.subarray(0, headerEnd).toString())?.[1];
    if (name && headerEnd !== -1) fields.set(name, Buffer.from(part.subarray(headerEnd + 4)));
    start = next;
  }
  return fields;
}

/**
 * The group link preview: title, description, avatar, member count, whether joining needs an
 * admin's approval. The password must match the group's link.
 */
async function joinInfo(mock: MockSignalServer, req: Http2ServerRequest, res: Http2ServerResponse) {
  const password = Buffer.from(
    decodeURIComponent((req.url ?? "").split("/").pop()?.split("?")[0] ?? ""),
    "base64url",
  );
  const publicKey = groupPublicKeyOf(req.headers.authorization);
  const group = publicKey ? await mock.server.getGroup(publicKey) : undefined;
  const state = group?.state;
  const link = state?.accessControl?.addFromInviteLink;
  if (
    !state ||
    !same(state.inviteLinkPassword, password) ||
    (link !== AccessRequired.ANY && link !== AccessRequired.ADMINISTRATOR)
  ) {
    res.writeHead(403);
    res.end();
    return;
  }
  const info = Proto.GroupJoinInfo.encode({
    publicKey: state.publicKey,
    title: state.title,
    description: state.description,
    avatar: state.avatarUrl,
    memberCount: state.members?.length ?? 0,
    addFromInviteLink: link,
    version: state.version,
    pendingAdminApproval: false,
    pendingAdminApprovalFull: false,
  } as never);
  res.writeHead(200, { "content-type": "application/x-protobuf" });
  res.end(Buffer.from(info));
}

/** The group public params a groups-service request authenticates for (Basic `hex(params):...`). */
function groupPublicKeyOf(authorization: string | undefined): Uint8Array<ArrayBuffer> | undefined {
  const basic = /^Basic (.+)$/.exec(authorization ?? "")?.[1];
  const user = basic ? Buffer.from(basic, "base64").toString().split(":")[0] : undefined;
  if (!user) return undefined;
  const params = new Uint8Array(Buffer.from(user, "hex")) as Uint8Array<ArrayBuffer>;
  // Checked only for shape: the mock's own routes verify the credential.
  new GroupPublicParams(params);
  return params;
}
