// Profile key credentials: the zero-knowledge proof, issued by the server for a profile key we
// know, that lets us add its owner to a group (or join one ourselves) with their profile key,
// without the groups service learning who they are.
import { Aci } from "@signalapp/libsignal-client";
import {
  ClientZkProfileOperations,
  type ExpiringProfileKeyCredential,
  ExpiringProfileKeyCredentialResponse,
  ProfileKey,
  ServerPublicParams,
} from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import { chatRequest, fromBase64, type ChatRequester } from "../chat-api.js";
import { ServiceRequestError } from "../errors.js";
import { profileKeyVersion } from "./profile-keys.js";

/** Asks the server for the expiring profile key credential of `aci`, whose profile key we have. */
export async function fetchProfileKeyCredential(
  chat: ChatRequester,
  serverPublicParams: string,
  aci: string,
  profileKey: Uint8Array,
): Promise<ExpiringProfileKeyCredential> {
  const operations = new ClientZkProfileOperations(new ServerPublicParams(fromBase64(serverPublicParams)));
  const context = operations.createProfileKeyCredentialRequestContext(
    Aci.fromUuid(aci),
    new ProfileKey(new Uint8Array(profileKey)),
  );
  const request = Buffer.from(context.getRequest().serialize()).toString("hex");
  const path = `/v1/profile/${aci}/${profileKeyVersion(profileKey, aci)}/${request}?credentialType=expiringProfileKey`;
  const response = await chatRequest(chat, "GET", path);
  const credential = (response.json as { credential?: unknown } | undefined)?.credential;
  if (response.status !== 200 || typeof credential !== "string") {
    throw new ServiceRequestError(
      "GET",
      `/v1/profile/${aci}`,
      response.status,
      response.status === 200 ? "no profile key credential in the answer" : "profile key credential refused",
    );
  }
  return operations.receiveExpiringProfileKeyCredential(
    context,
    new ExpiringProfileKeyCredentialResponse(fromBase64(credential)),
  );
}
