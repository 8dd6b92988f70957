import { randomBytes } from "node:crypto";
import type { BridgeConfig } from "./schema.js";

/** The application service registration the homeserver reads (Synapse's `app_service_config_files`). */
export interface Registration {
  id: string;
  url: string;
  as_token: string;
  hs_token: string;
  sender_localpart: string;
  rate_limited: boolean;
  namespaces: {
    users: { regex: string; exclusive: boolean }[];
    aliases: { regex: string; exclusive: boolean }[];
    rooms: { regex: string; exclusive: boolean }[];
  };
  receive_ephemeral: boolean;
  "de.sorunome.msc2409.push_ephemeral": boolean;
  "org.matrix.msc3202": boolean;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Regex matching every ghost user ID the template can produce. */
export function ghostUserRegex(config: BridgeConfig): string {
  const [before = "", after = ""] = config.appservice.ghosts.localpart_template.split("{aci}");
  return `@${escapeRegex(before)}[0-9a-f-]+${escapeRegex(after)}:${escapeRegex(config.homeserver.domain)}`;
}

/** A new registration with fresh random tokens; `url` overrides `appservice.address`. */
export function generateRegistration(config: BridgeConfig, url?: string): Registration {
  const botUserId = `@${config.appservice.bot.localpart}:${config.homeserver.domain}`;
  return {
    id: config.appservice.id,
    url: url ?? config.appservice.address,
    as_token: randomBytes(32).toString("hex"),
    hs_token: randomBytes(32).toString("hex"),
    sender_localpart: config.appservice.bot.localpart,
    rate_limited: false,
    namespaces: {
      users: [
        { regex: `^${escapeRegex(botUserId)}$`, exclusive: true },
        { regex: `^${ghostUserRegex(config)}$`, exclusive: true },
      ],
      aliases: [],
      rooms: [],
    },
    // Typing notifications and read receipts reach the bridge only as ephemeral events.
    receive_ephemeral: true,
    "de.sorunome.msc2409.push_ephemeral": true,
    // End-to-bridge encryption: device lists and key counts in transactions (MSC3202); to-device
    // messages come with ephemeral events (MSC4203). Homeservers that do not know them ignore them.
    "org.matrix.msc3202": true,
  };
}
