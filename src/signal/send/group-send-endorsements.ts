// Group send endorsements: with the group state the groups service hands each member one
// endorsement per member (valid about a day). Combined for the recipients of one send they make a
// token that lets a multi-recipient sealed-sender message reach them without naming us.
import { Aci, ServiceId } from "@signalapp/libsignal-client";
import {
  GroupSendEndorsement,
  GroupSendEndorsementsResponse,
  ServerPublicParams,
  type GroupSendFullToken,
} from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import { fromBase64 } from "../chat-api.js";
import type { SignalEnvironment } from "../environment.js";
import { GroupCipher, GroupDataError } from "../groups/group-cipher.js";
import type { GroupCredentials } from "../groups/group-credentials.js";
import { signalservice } from "../../proto/generated/signal.js";
import { httpsRequestOk } from "../service-https.js";

// Endorsements this close to expiring are fetched again: the server checks the token on arrival.
const REFRESH_MARGIN_MS = 60 * 60 * 1000;

interface GroupEndorsements {
  expiration: Date;
  byMember: Map<string, GroupSendEndorsement>;
}

/** Caches the account's endorsements per group and turns them into send tokens. */
export class GroupSendEndorsements {
  private readonly byGroup = new Map<string, GroupEndorsements>();
  private readonly serverParams: ServerPublicParams;

  constructor(
    private readonly environment: SignalEnvironment,
    private readonly credentials: GroupCredentials,
    private readonly ownAci: string,
    private readonly now: () => number = Date.now,
  ) {
    this.serverParams = new ServerPublicParams(fromBase64(environment.serverPublicParams));
  }

  /**
   * A token for sending to `recipients` (service ids) in the group. Fetches the group's
   * endorsements when none are cached, they expire soon, or a recipient is not covered (the
   * membership changed).
   */
  async tokenFor(masterKey: Uint8Array, recipients: readonly string[]): Promise<GroupSendFullToken> {
    const cipher = new GroupCipher(masterKey);
    const key = Buffer.from(cipher.groupId).toString("base64");
    let entry = this.byGroup.get(key);
    if (!entry || !this.covers(entry, recipients)) {
      entry = await this.fetch(cipher);
      this.byGroup.set(key, entry);
    }
    const endorsements: GroupSendEndorsement[] = [];
    for (const recipient of recipients) {
      const endorsement = entry.byMember.get(recipient);
      if (!endorsement) {
        throw new GroupDataError(`${recipient} is not a member of the group on the server.`);
      }
      endorsements.push(endorsement);
    }
    return GroupSendEndorsement.combine(endorsements).toFullToken(cipher.secretParams, entry.expiration);
  }

  private covers(entry: GroupEndorsements, recipients: readonly string[]): boolean {
    if (entry.expiration.getTime() - REFRESH_MARGIN_MS <= this.now()) return false;
    return recipients.every((recipient) => entry.byMember.has(recipient));
  }

  private async fetch(cipher: GroupCipher): Promise<GroupEndorsements> {
    const reply = await httpsRequestOk(this.environment, `${this.environment.groupsUrl}/v2/groups`, {
      headers: {
        authorization: await this.credentials.authorization(cipher),
        accept: "application/x-protobuf",
      },
    });
    const response = signalservice.GroupResponse.decode(reply.body);
    const members = response.group?.members ?? [];
    if (!response.groupSendEndorsementsResponse?.length || members.length === 0) {
      throw new GroupDataError("The groups service sent no send endorsements for this group.");
    }
    // The endorsements come in the order of the members in the group state.
    const serviceIds = members.map((member) => cipher.serviceId(member.userId, "a member's id"));
    const endorsementsResponse = new GroupSendEndorsementsResponse(
      new Uint8Array(response.groupSendEndorsementsResponse),
    );
    const received = endorsementsResponse.receiveWithServiceIds(
      serviceIds.map((id) => ServiceId.parseFromServiceIdString(id)),
      Aci.fromUuid(this.ownAci),
      cipher.secretParams,
      this.serverParams,
      new Date(this.now()),
    );
    const byMember = new Map<string, GroupSendEndorsement>();
    serviceIds.forEach((id, index) => {
      const endorsement = received.endorsements[index];
      if (endorsement) byMember.set(id, endorsement);
    });
    return { expiration: endorsementsResponse.getExpiration(), byMember };
  }
}
