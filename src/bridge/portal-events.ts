import type { WeakEvent } from "matrix-appservice-bridge";
import type { PortalRow } from "../store/index.js";
import { isPrefixedCommand } from "./bot-commands.js";
import { DISAPPEARING_TIMER_EVENT } from "./disappearing-messages.js";
import { GROUP_STATE_EVENTS } from "./groups/index.js";
import type { RelayOutcome } from "./relay-outcome.js";

export interface PortalEventsOptions {
  /** `!signal` commands, wherever they are sent. */
  commands: { handleEvent(event: WeakEvent): Promise<void> };
  /** Messages, reactions, redactions and edits. */
  messages: { handle(event: WeakEvent, portal: PortalRow): Promise<RelayOutcome> };
  /** The chat's disappearing-messages timer, set as room state. */
  timers: { stateChanged(event: WeakEvent, portal: PortalRow): Promise<RelayOutcome> };
  /** Group portals' name, topic, avatar, power levels, join rule and members. */
  groups: {
    stateChanged(event: WeakEvent, portal: PortalRow): Promise<RelayOutcome>;
    membershipChanged(event: WeakEvent, portal: PortalRow): Promise<RelayOutcome>;
  };
}

/**
 * Where a Matrix event in a portal goes: commands to the bot (they are not sent to Signal),
 * messages to the relay to Signal, room state users change to the chat's settings on Signal.
 * The bridge's own changes (in response to Signal) never come here: the events of its bot and
 * ghosts are left out when transactions are taken in.
 */
export class PortalEvents {
  constructor(private readonly options: PortalEventsOptions) {}

  async handle(event: WeakEvent, portal: PortalRow): Promise<RelayOutcome> {
    if (isPrefixedCommand(event)) {
      await this.options.commands.handleEvent(event);
      return "ignored";
    }
    if (event.type === "m.room.member") return this.options.groups.membershipChanged(event, portal);
    if (event.state_key === "") {
      if (event.type === DISAPPEARING_TIMER_EVENT) return this.options.timers.stateChanged(event, portal);
      if (GROUP_STATE_EVENTS.has(event.type)) return this.options.groups.stateChanged(event, portal);
    }
    return this.options.messages.handle(event, portal);
  }
}
