// The storage service's HTTP API: credentials come over the chat connection, everything else is
// plain HTTPS to the storage host with Basic auth and protobuf bodies.
import { chatRequestOk, type ChatRequester } from "../chat-api.js";
import type { SignalEnvironment } from "../environment.js";
import { ServiceRequestError } from "../errors.js";
import { httpsRequest, readBody } from "../service-https.js";
import { signalservice } from "../../proto/generated/signal.js";
import { StorageServiceError } from "./storage-keys.js";

const PROTOBUF = "application/x-protobuf";
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** Basic-auth credentials for the storage service, valid for a while (the server decides). */
export interface StorageCredentials {
  username: string;
  password: string;
}

export async function fetchStorageCredentials(chat: ChatRequester): Promise<StorageCredentials> {
  const json = await chatRequestOk(chat, "GET", "/v1/storage/auth");
  if (
    json &&
    typeof json === "object" &&
    "username" in json &&
    "password" in json &&
    typeof json.username === "string" &&
    typeof json.password === "string"
  ) {
    return { username: json.username, password: json.password };
  }
  throw new StorageServiceError("The Signal server sent storage credentials in an unknown format.");
}

/** The server refused the credentials (expired): fetch new ones and retry. */
export class StorageCredentialsRejectedError extends StorageServiceError {}

async function storageRequest(
  environment: SignalEnvironment,
  credentials: StorageCredentials,
  method: string,
  path: string,
  body?: Uint8Array,
): Promise<{ status: number; body: Uint8Array }> {
  const headers: Record<string, string> = {
    authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`,
    accept: PROTOBUF,
  };
  if (body) {
    headers["content-type"] = PROTOBUF;
    headers["content-length"] = String(body.length);
  }
  const response = await httpsRequest(environment, `${environment.storageUrl}${path}`, {
    method,
    headers,
    body,
  });
  const responseBody = await readBody(response, MAX_RESPONSE_BYTES);
  if (response.status === 401 || response.status === 403) {
    throw new StorageCredentialsRejectedError(
      `The storage service refused the credentials for ${method} ${path}.`,
    );
  }
  return { status: response.status, body: responseBody };
}

function failure(method: string, path: string, status: number, body: Uint8Array): ServiceRequestError {
  return new ServiceRequestError(method, path, status, new TextDecoder().decode(body.subarray(0, 200)));
}

/**
 * The current manifest, or null when there is none (the account never wrote its storage) or,
 * with `afterVersion`, when the server has nothing newer than that version.
 */
export async function fetchManifest(
  environment: SignalEnvironment,
  credentials: StorageCredentials,
  afterVersion?: number,
): Promise<signalservice.StorageManifest | null> {
  const path =
    afterVersion === undefined ? "/v1/storage/manifest" : `/v1/storage/manifest/version/${afterVersion}`;
  const response = await storageRequest(environment, credentials, "GET", path);
  if (response.status === 404 || response.status === 204) return null;
  if (response.status !== 200) throw failure("GET", path, response.status, response.body);
  return signalservice.StorageManifest.decode(response.body);
}

// Servers cap one read; Signal's apps read in pages of this size.
const READ_PAGE_SIZE = 1000;

/** Reads records by their raw ids; records the server does not have are left out. */
export async function readStorageItems(
  environment: SignalEnvironment,
  credentials: StorageCredentials,
  rawIds: readonly Uint8Array[],
): Promise<signalservice.StorageItem.$Properties[]> {
  const items: signalservice.StorageItem.$Properties[] = [];
  for (let start = 0; start < rawIds.length; start += READ_PAGE_SIZE) {
    const readKey = rawIds.slice(start, start + READ_PAGE_SIZE);
    const body = signalservice.ReadOperation.encode({ readKey }).finish();
    const response = await storageRequest(environment, credentials, "PUT", "/v1/storage/read", body);
    if (response.status !== 200) throw failure("PUT", "/v1/storage/read", response.status, response.body);
    items.push(...signalservice.StorageItems.decode(response.body).items);
  }
  return items;
}
