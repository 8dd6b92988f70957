// The groups service's HTTP API (plain HTTPS, protobuf bodies, zkgroup Basic auth).
import type { SignalEnvironment } from "../environment.js";
import { ServiceRequestError } from "../errors.js";
import { httpsRequest, readBody } from "../service-https.js";
import { signalservice } from "../../proto/generated/signal.js";
import { GroupDataError } from "./group-cipher.js";

const PROTOBUF = "application/x-protobuf";
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
// The newest change format this client understands (5: PNI invitations accepted with an ACI).
const MAX_SUPPORTED_CHANGE_EPOCH = 5;

/** We are not (or no longer) a member of the group, or the credential was refused. */
export class GroupAccessDeniedError extends GroupDataError {}

/** Someone else changed the group first; fetch the new state and try again. */
export class GroupConflictError extends GroupDataError {}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

async function groupsRequest(
  environment: SignalEnvironment,
  authorization: string,
  method: string,
  path: string,
  extraHeaders: Record<string, string> = {},
  body?: Uint8Array,
): Promise<Reply> {
  const headers: Record<string, string> = { authorization, accept: PROTOBUF, ...extraHeaders };
  if (body) {
    headers["content-type"] = PROTOBUF;
    headers["content-length"] = String(body.length);
  }
  const response = await httpsRequest(environment, `${environment.groupsUrl}${path}`, {
    method,
    headers,
    body,
  });
  const reply = {
    status: response.status,
    headers: response.headers,
    body: await readBody(response, MAX_RESPONSE_BYTES),
  };
  const logPath = path.split("?")[0] ?? path;
  if (reply.status === 401 || reply.status === 403) {
    throw new GroupAccessDeniedError(
      `The groups service refused ${method} ${logPath} (${reply.status}): this account is not a member of the group.`,
    );
  }
  if (reply.status === 409) {
    throw new GroupConflictError("The group changed on the server meanwhile; fetch it again and retry.");
  }
  if (reply.status < 200 || reply.status >= 300) {
    throw new ServiceRequestError(
      method,
      logPath,
      reply.status,
      new TextDecoder().decode(reply.body.subarray(0, 200)),
    );
  }
  return reply;
}

export async function fetchGroupState(
  environment: SignalEnvironment,
  authorization: string,
): Promise<signalservice.Group.$Properties> {
  const reply = await groupsRequest(environment, authorization, "GET", "/v2/groups");
  const group = signalservice.GroupResponse.decode(reply.body).group;
  if (!group) throw new GroupDataError("The groups service answered without a group.");
  return group;
}

/** Creates a group (revision 0) as we describe it; returns the group as the server stored it. */
export async function createGroupState(
  environment: SignalEnvironment,
  authorization: string,
  group: signalservice.Group.$Properties,
): Promise<signalservice.Group.$Properties> {
  const body = signalservice.Group.encode(group).finish();
  const reply = await groupsRequest(environment, authorization, "PUT", "/v2/groups", {}, body);
  const created = reply.body.length > 0 ? signalservice.GroupResponse.decode(reply.body).group : null;
  // A server may answer without the group; it is then as we sent it, with members as presented.
  return created ?? group;
}

export interface GroupLogPage {
  changes: signalservice.GroupChanges.GroupChangeState.$Properties[];
  /** Where the next page starts, or null when this was the last one. */
  nextSince: number | null;
}

/**
 * One page of the group's change log from revision `since` on. The server pages long logs with
 * 206 and a `Content-Range: versions <from>-<to>/<current>` header.
 */
export async function fetchGroupLogPage(
  environment: SignalEnvironment,
  authorization: string,
  since: number,
): Promise<GroupLogPage> {
  const query = `includeFirstState=false&includeLastState=true&maxSupportedChangeEpoch=${MAX_SUPPORTED_CHANGE_EPOCH}`;
  // We keep no send endorsements, so we tell the server that ours expired long ago.
  const reply = await groupsRequest(environment, authorization, "GET", `/v2/groups/logs/${since}?${query}`, {
    "cached-send-endorsements": "0",
  });
  const changes = signalservice.GroupChanges.decode(reply.body).groupChanges;
  let nextSince: number | null = null;
  const range = reply.headers["content-range"];
  if (reply.status === 206 && typeof range === "string") {
    const match = /versions\s+(\d+)-(\d+)\/(\d+)/.exec(range);
    if (match && Number(match[2]) < Number(match[3])) nextSince = Number(match[2]) + 1;
  }
  return { changes, nextSince };
}

/**
 * Applies our change; returns the signed change the server made of it. Joining by the group link
 * passes the link's password.
 */
export async function patchGroup(
  environment: SignalEnvironment,
  authorization: string,
  actions: Uint8Array,
  inviteLinkPassword?: Uint8Array,
): Promise<signalservice.GroupChange.$Properties> {
  const query = inviteLinkPassword
    ? `?inviteLinkPassword=${Buffer.from(inviteLinkPassword).toString("base64url")}`
    : "";
  const reply = await groupsRequest(environment, authorization, "PATCH", `/v2/groups${query}`, {}, actions);
  const change = signalservice.GroupChangeResponse.decode(reply.body).groupChange;
  if (!change) throw new GroupDataError("The groups service accepted the change but did not return it.");
  return change;
}

/** What the group link shows someone not in the group (the password proves they have the link). */
export async function fetchGroupJoinInfo(
  environment: SignalEnvironment,
  authorization: string,
  inviteLinkPassword: Uint8Array,
): Promise<signalservice.GroupJoinInfo> {
  const password = Buffer.from(inviteLinkPassword).toString("base64url");
  const reply = await groupsRequest(environment, authorization, "GET", `/v2/groups/join/${password}`);
  return signalservice.GroupJoinInfo.decode(reply.body);
}

/** Where and how to upload an encrypted group avatar (an S3-style form for CDN 0). */
export async function fetchAvatarUploadForm(
  environment: SignalEnvironment,
  authorization: string,
): Promise<signalservice.AvatarUploadAttributes> {
  const reply = await groupsRequest(environment, authorization, "GET", "/v2/groups/avatar/form");
  const form = signalservice.AvatarUploadAttributes.decode(reply.body);
  if (!form.key) throw new GroupDataError("The groups service sent an avatar upload form without a key.");
  return form;
}

/** Uploads an encrypted avatar blob to CDN 0 with the form; it is found there under the form's key. */
export async function uploadGroupAvatarBlob(
  environment: SignalEnvironment,
  form: signalservice.AvatarUploadAttributes,
  encrypted: Uint8Array,
): Promise<void> {
  const base = environment.cdnUrls[0];
  if (!base) throw new GroupDataError("The environment has no CDN 0, where group avatars are kept.");
  const boundary = `----signal-bridge-${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
  const fields: Array<[string, string]> = [
    ["key", form.key],
    ["x-amz-credential", form.credential],
    ["acl", form.acl],
    ["x-amz-algorithm", form.algorithm],
    ["x-amz-date", form.date],
    ["policy", form.policy],
    ["x-amz-signature", form.signature],
    ["Content-Type", "application/octet-stream"],
  ];
  const parts: Buffer[] = fields.map(([name, value]) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
  );
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="file"\r\n` +
        "Content-Type: application/octet-stream\r\n\r\n",
    ),
    Buffer.from(encrypted),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  const body = Buffer.concat(parts);
  const response = await httpsRequest(environment, `${base.replace(/\/+$/, "")}/`, {
    method: "POST",
    headers: {
      "content-type": `multipart/form-data; boundary=${boundary}`,
      "content-length": String(body.length),
    },
    body,
  });
  const reply = await readBody(response, 64 * 1024);
  if (response.status < 200 || response.status >= 300) {
    throw new ServiceRequestError(
      "POST",
      "/ (CDN 0)",
      response.status,
      new TextDecoder().decode(reply.subarray(0, 200)),
    );
  }
}

/** The encrypted avatar blob from CDN 0 (group avatars live there). */
export async function fetchGroupAvatar(
  environment: SignalEnvironment,
  avatarKey: string,
): Promise<Uint8Array> {
  const base = environment.cdnUrls[0];
  if (!base) throw new GroupDataError("The environment has no CDN 0, where group avatars are kept.");
  const response = await httpsRequest(environment, `${base}/${avatarKey.replace(/^\/+/, "")}`);
  const body = await readBody(response, MAX_RESPONSE_BYTES);
  if (response.status !== 200) {
    throw new ServiceRequestError("GET", `/${avatarKey}`, response.status, "group avatar download failed");
  }
  return body;
}
