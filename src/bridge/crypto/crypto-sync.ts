// The bot device's /sync: the only way a homeserver without appservice extensions (MSC2409 to-device,
// MSC3202 device lists) tells a device about room keys sent to it and about devices that changed.
// Rooms are filtered out (their events come through appservice transactions); what is left is
// to-device messages, device-list changes and one-time-key counts. The position is saved only after
// the crypto library stored what a response brought, so a crash makes the homeserver send it again.
import type { Logger } from "../../logger.js";
import { abortableSleep, backoffDelay } from "../retry-policy.js";
import { SYNC_TOKEN, type CryptoValues } from "./bot-device.js";
import type { CryptoHttp } from "./crypto-http.js";

/** What of a /sync response the crypto library takes. */
export interface DeviceSyncChanges {
  toDeviceEvents: unknown[];
  changed: string[];
  left: string[];
  oneTimeKeyCounts: Record<string, number>;
  unusedFallbackKeyTypes: string[] | undefined;
}

const FILTER = JSON.stringify({
  room: { rooms: [] },
  presence: { not_types: ["*"] },
  account_data: { not_types: ["*"] },
});
const POLL_TIMEOUT_MS = 30_000;

export class CryptoSync {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly options: {
      http: CryptoHttp;
      values: CryptoValues;
      handle(changes: DeviceSyncChanges): Promise<void>;
      logger: Logger;
    },
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { http, values, logger } = this.options;
    const signal = this.stopping.signal;
    let since = values.value(SYNC_TOKEN)?.toString("utf8");
    let failures = 0;
    while (!signal.aborted) {
      try {
        const body = await http.request({
          method: "GET",
          path: "/_matrix/client/v3/sync",
          query: { filter: FILTER, since, timeout: since === undefined ? "0" : String(POLL_TIMEOUT_MS) },
          signal,
          timeoutMs: POLL_TIMEOUT_MS + 30_000,
        });
        await this.options.handle(changesOf(body));
        const next = body["next_batch"];
        if (typeof next === "string") {
          values.setValue(SYNC_TOKEN, Buffer.from(next, "utf8"));
          since = next;
        }
        if (failures > 0) logger.info("the bot device's sync works again");
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        failures++;
        const line = `the bot device's sync failed (attempt ${failures}); trying again: ${(error as Error).message}`;
        if (failures === 1 || failures % 10 === 0) logger.warn(line);
        else logger.debug(line);
        await abortableSleep(backoffDelay(failures, { transient: true }), signal).catch(() => undefined);
      }
    }
  }
}

function changesOf(body: Record<string, unknown>): DeviceSyncChanges {
  const toDevice = body["to_device"] as { events?: unknown } | undefined;
  const lists = body["device_lists"] as { changed?: unknown; left?: unknown } | undefined;
  const counts = body["device_one_time_keys_count"];
  const fallback =
    body["device_unused_fallback_key_types"] ?? body["org.matrix.msc2732.device_unused_fallback_key_types"];
  return {
    toDeviceEvents: Array.isArray(toDevice?.events) ? toDevice.events : [],
    changed: stringsOf(lists?.changed),
    left: stringsOf(lists?.left),
    oneTimeKeyCounts: numbersOf(counts),
    unusedFallbackKeyTypes: Array.isArray(fallback) ? stringsOf(fallback) : undefined,
  };
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function numbersOf(value: unknown): Record<string, number> {
  const result: Record<string, number> = {};
  if (value === null || typeof value !== "object") return result;
  for (const [name, count] of Object.entries(value)) if (typeof count === "number") result[name] = count;
  return result;
}
