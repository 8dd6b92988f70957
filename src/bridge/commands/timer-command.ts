import { durationText } from "../../convert/index.js";
import type { BotCommand } from "../bot-commands.js";
import type { TimersFromMatrix } from "../timers-from-matrix.js";
import type { CommandDeps } from "./command-deps.js";
import { portalOf } from "./portal-commands.js";

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  s: 1,
  sec: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hour: 3600,
  hours: 3600,
  d: 86_400,
  day: 86_400,
  days: 86_400,
  w: 604_800,
  week: 604_800,
  weeks: 604_800,
};

/** Signal keeps a timer in a 32-bit number of seconds. */
const MAX_TIMER_SECONDS = 2 ** 32 - 1;

/** "off", or a duration such as 30s, 5m, 1h, 1d, 1w, 1h30m or "2 days"; undefined when unreadable. */
export function parseTimer(text: string): number | undefined {
  const compact = text.trim().toLowerCase().replace(/\s+/g, "");
  if (compact === "off" || compact === "0") return 0;
  const parts = [...compact.matchAll(/(\d+)([a-z]+)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== compact) return undefined;
  let seconds = 0;
  for (const [, count, unit] of parts) {
    const size = UNIT_SECONDS[unit ?? ""];
    if (size === undefined) return undefined;
    seconds += Number(count) * size;
  }
  return seconds > 0 && seconds <= MAX_TIMER_SECONDS ? seconds : undefined;
}

/** `disappearing-timer <off | 30s | 5m | 1h | 1d | 1w ...>`: sets the portal's chat timer on Signal. */
export function disappearingTimerCommand(deps: CommandDeps, timers: TimersFromMatrix): BotCommand {
  return {
    name: "disappearing-timer",
    summary:
      "In a portal: set the chat's disappearing-messages timer: disappearing-timer <off | 30s | 5m | 1h | 1d | 1w>.",
    needs: "user",
    async run(context) {
      const portal = await portalOf(deps, context);
      if (!portal) return;
      const seconds = parseTimer(context.args.join(" "));
      if (seconds === undefined) {
        return context.reply(
          "Usage: disappearing-timer <off | 30s | 5m | 1h | 1d | 1w>, e.g. disappearing-timer 1h.",
        );
      }
      const outcome = await timers.set(portal, context.sender, seconds, context.eventId);
      if (outcome.kind === "refused") return context.reply(`The timer was not changed: ${outcome.reason}`);
      if (outcome.kind === "unchanged") {
        return context.reply(
          seconds > 0
            ? `Disappearing messages are already set to ${durationText(seconds)}.`
            : "Disappearing messages are already off.",
        );
      }
    },
  };
}
