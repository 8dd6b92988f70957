// Group auth credentials: the server hands out one zero-knowledge credential per day for up to a
// week ahead; each groups-service request presents today's credential for the group's public
// params, proving membership (ACI and PNI) without telling the groups service who asks.
import { Aci, Pni } from "@signalapp/libsignal-client";
import {
  AuthCredentialWithPni,
  AuthCredentialWithPniResponse,
  ClientZkAuthOperations,
  ServerPublicParams,
} from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import { chatRequestOk, fromBase64, type ChatRequester } from "../chat-api.js";
import type { SignalEnvironment } from "../environment.js";
import { GroupDataError, type GroupCipher } from "./group-cipher.js";

const DAY_SECONDS = 24 * 60 * 60;
// The server issues credentials for at most this many days after today.
const WINDOW_DAYS = 7;

export interface GroupCredentialsOptions {
  environment: SignalEnvironment;
  /** An authenticated chat connection of the account; used once per credential window. */
  chat: ChatRequester;
  /** Our ACI and PNI as lowercase UUIDs (no prefix). */
  aci: string;
  pni: string;
  /** Milliseconds since the epoch; tests pass a fixed clock. */
  now?: () => number;
}

interface CredentialEntry {
  credential: string;
  redemptionTime: number;
}

function isCredentialList(value: unknown): value is { credentials: CredentialEntry[] } {
  if (!value || typeof value !== "object" || !("credentials" in value)) return false;
  const list = value.credentials;
  return (
    Array.isArray(list) &&
    list.every(
      (entry: unknown) =>
        !!entry &&
        typeof entry === "object" &&
        "credential" in entry &&
        "redemptionTime" in entry &&
        typeof entry.credential === "string" &&
        typeof entry.redemptionTime === "number",
    )
  );
}

/** Fetches and caches the account's group auth credentials; keep one per account. */
export class GroupCredentials {
  private readonly byDay = new Map<number, AuthCredentialWithPni>();
  private readonly operations: ClientZkAuthOperations;
  private readonly now: () => number;
  private pending: Promise<void> | null = null;

  constructor(private readonly options: GroupCredentialsOptions) {
    this.operations = new ClientZkAuthOperations(
      new ServerPublicParams(fromBase64(options.environment.serverPublicParams)),
    );
    this.now = options.now ?? Date.now;
  }

  /** The `Authorization` header value for a groups-service request about this group. */
  async authorization(group: GroupCipher): Promise<string> {
    const credential = await this.today();
    const presentation = this.operations.createAuthCredentialWithPniPresentation(
      group.secretParams,
      credential,
    );
    const user = Buffer.from(group.publicParams).toString("hex");
    const password = Buffer.from(presentation.serialize()).toString("hex");
    return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  }

  private today(): Promise<AuthCredentialWithPni> {
    return this.credentialFor(this.startOfToday());
  }

  private startOfToday(): number {
    const seconds = Math.floor(this.now() / 1000);
    return seconds - (seconds % DAY_SECONDS);
  }

  private async credentialFor(day: number): Promise<AuthCredentialWithPni> {
    const cached = this.byDay.get(day);
    if (cached) return cached;
    // Concurrent requests share one fetch.
    this.pending ??= this.fetchWindow(day).finally(() => {
      this.pending = null;
    });
    await this.pending;
    const fetched = this.byDay.get(day);
    if (!fetched) throw new GroupDataError("The Signal server sent no group credential for today.");
    return fetched;
  }

  private async fetchWindow(start: number): Promise<void> {
    const end = start + WINDOW_DAYS * DAY_SECONDS;
    const json = await chatRequestOk(
      this.options.chat,
      "GET",
      `/v1/certificate/auth/group?redemptionStartSeconds=${start}&redemptionEndSeconds=${end}`,
    );
    if (!isCredentialList(json)) {
      throw new GroupDataError("The Signal server sent group credentials in an unknown format.");
    }
    const aci = Aci.fromUuid(this.options.aci);
    const pni = Pni.fromUuid(this.options.pni);
    for (const day of [...this.byDay.keys()]) if (day < start) this.byDay.delete(day);
    for (const entry of json.credentials) {
      const response = new AuthCredentialWithPniResponse(fromBase64(entry.credential));
      this.byDay.set(
        entry.redemptionTime,
        this.operations.receiveAuthCredentialWithPniAsServiceId(aci, pni, entry.redemptionTime, response),
      );
    }
  }
}
