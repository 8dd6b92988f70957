import type { WeakEvent } from "matrix-appservice-bridge";
import type { PortalRow } from "../store/index.js";
import { isPrefixedCommand } from "./bot-commands.js";

export interface PortalEventsOptions {
  /** `!signal` commands, wherever they are sent. */
  commands: { handleEvent(event: WeakEvent): Promise<void> };
  /** Messages, reactions, redactions and edits. */
  messages: { handle(event: WeakEvent): Promise<void> };
}

/**
 * Where a Matrix event in a portal goes: commands to the bot (they are not sent to Signal),
 * messages to the relay to Signal.
 */
export class PortalEvents {
  constructor(private readonly options: PortalEventsOptions) {}

  async handle(event: WeakEvent, _portal: PortalRow): Promise<void> {
    if (isPrefixedCommand(event)) return this.options.commands.handleEvent(event);
    await this.options.messages.handle(event);
  }
}
