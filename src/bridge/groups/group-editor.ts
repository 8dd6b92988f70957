import type { Logger } from "../../logger.js";
import {
  GroupAccessDeniedError,
  GroupConflictError,
  type GroupModification,
  type GroupModificationResult,
  sendDataMessage,
  type SignalGroup,
} from "../../signal/index.js";
import type { PortalRow, Store } from "../../store/index.js";
import type { GroupDirectory } from "../group-directory.js";
import type { GroupPortalSync } from "../group-portal-sync.js";
import type { Login } from "../logins.js";
import { accessRefusal } from "./group-access.js";

export interface GroupEditorOptions {
  store: Store;
  groups: GroupDirectory;
  groupPortals: GroupPortalSync;
  logger: Logger;
}

/** How a change from Matrix ended on Signal. */
export type GroupEditOutcome =
  | { kind: "changed"; group: SignalGroup }
  /** The group already is as asked. */
  | { kind: "unchanged"; group: SignalGroup }
  /** Signal's rules do not allow it; `reason` says why, for the user. */
  | { kind: "refused"; reason: string };

/** What to change, given the group as it is now: the modifications (none when already so). */
export type PlanGroupEdit = (group: SignalGroup) => GroupModification[] | Promise<GroupModification[]>;

export interface GroupEditHooks {
  /** Runs once the groups service took the change, before the portal shows it. */
  onChanged?(result: GroupModificationResult): Promise<void>;
}

/** Someone changed the group between our read and our change: read again, this often. */
const CONFLICT_ATTEMPTS = 3;

/**
 * Changes Signal groups from Matrix, as a linked member's account: reads the group as it is now,
 * checks Signal's access rules, sends the change to the groups service, shows it in the portal
 * like any other change, and tells the other members' devices (a group update message).
 */
export class GroupEditor {
  constructor(private readonly options: GroupEditorOptions) {}

  /**
   * Makes the change `plan` asks for in the portal's group. A failure to reach Signal is thrown
   * (transient ones are retried by the caller's queue: the change is planned again against the
   * group as it is then, so nothing is done twice).
   */
  async edit(
    login: Login,
    portal: PortalRow,
    plan: PlanGroupEdit,
    hooks: GroupEditHooks = {},
  ): Promise<GroupEditOutcome> {
    const { groupPortals, logger } = this.options;
    for (let attempt = 1; ; attempt++) {
      const group = await groupPortals.catchUp(login, portal);
      const modifications = await plan(group);
      if (modifications.length === 0) return { kind: "unchanged", group };
      const { aci, pni } = login.client.account;
      const refusal = accessRefusal(group, { aci, pni: `PNI:${pni}` }, modifications);
      if (refusal) return { kind: "refused", reason: refusal };
      let result: GroupModificationResult;
      try {
        result = await this.options.groups.modify(login, group, modifications);
      } catch (error) {
        if (error instanceof GroupConflictError && attempt < CONFLICT_ATTEMPTS) {
          logger.debug(`group ${portal.chatId} changed meanwhile; reading it again (${error.message})`);
          continue;
        }
        if (error instanceof GroupAccessDeniedError) {
          return { kind: "refused", reason: `Signal refused the change: ${error.message}` };
        }
        throw error;
      }
      await hooks.onChanged?.(result);
      await groupPortals.showChange(login, portal, result);
      await this.tellMembers(login, result.group, result.signedChange);
      return { kind: "changed", group: result.group };
    }
  }

  /**
   * Tells the members of a group about a change made outside `edit` (creating it, joining it by
   * its link): they see it at once.
   */
  async announce(login: Login, group: SignalGroup, signedChange?: Uint8Array): Promise<void> {
    await this.tellMembers(login, group, signedChange);
  }

  /**
   * The group update message: members' devices learn the new revision and apply the signed change
   * at once (they would fetch it with the next message otherwise, so a failure is only logged).
   * Someone removed learns it when their app next asks the groups service.
   */
  private async tellMembers(login: Login, group: SignalGroup, signedChange?: Uint8Array): Promise<void> {
    const recipients = group.members.map((member) => member.aci);
    const timestamp = await this.options.store.bridge.nextSignalTimestamp(login.userId);
    try {
      const sent = await sendDataMessage(
        login.client,
        { kind: "group", masterKey: group.masterKey, revision: group.revision, memberAcis: recipients },
        signedChange ? { groupV2: { groupChange: signedChange } } : { groupV2: {} },
        timestamp,
      );
      if (sent.failed.length > 0) {
        this.options.logger.warn(
          `the update of group ${Buffer.from(group.id).toString("base64")} did not reach ${sent.failed.length} member(s)`,
        );
      }
    } catch (error) {
      this.options.logger.warn(
        `the members of group ${Buffer.from(group.id).toString("base64")} were not told of revision ${group.revision}`,
        error,
      );
    }
  }
}
