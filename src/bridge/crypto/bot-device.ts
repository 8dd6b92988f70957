// The bot's one Matrix device: created once by logging in as the appservice's bot user, then kept
// (id and access token sealed in the database) for as long as the homeserver accepts its token.
import { randomBytes } from "node:crypto";
import type { Logger } from "../../logger.js";
import { CryptoHttp, HomeserverError } from "./crypto-http.js";

/** The single values the bot device keeps (MatrixCryptoTables). */
export interface CryptoValues {
  value(name: string): Promise<Buffer | undefined>;
  setValue(name: string, value: Uint8Array): Promise<void>;
  deleteValue(name: string): Promise<void>;
}

export interface BotDevice {
  deviceId: string;
  accessToken: string;
  /** The key the crypto library encrypts its own store with (32 bytes). */
  storeKey: Uint8Array;
  /** True when the device was created now: any crypto state of an earlier device is stale. */
  created: boolean;
}

const DEVICE_ID = "device_id";
const ACCESS_TOKEN = "access_token";
const STORE_KEY = "store_key";

const DEVICE_NAME = "Signal bridge";

/**
 * The bot's device: the stored one if its token still works, else a new one from an appservice
 * login (`m.login.application_service`, which needs no password).
 */
export async function ensureBotDevice(options: {
  homeserverUrl: string;
  asToken: string;
  botUserId: string;
  values: CryptoValues;
  logger: Logger;
}): Promise<BotDevice> {
  const { homeserverUrl, asToken, botUserId, values, logger } = options;
  const storedId = (await values.value(DEVICE_ID))?.toString("utf8");
  const storedToken = (await values.value(ACCESS_TOKEN))?.toString("utf8");
  let storeKey = await values.value(STORE_KEY);
  if (storeKey === undefined) {
    storeKey = randomBytes(32);
    await values.setValue(STORE_KEY, storeKey);
  }
  if (storedId && storedToken) {
    const whoami = await new CryptoHttp(homeserverUrl, storedToken)
      .request({ method: "GET", path: "/_matrix/client/v3/account/whoami" })
      .catch((error: unknown) => {
        if (error instanceof HomeserverError && error.statusCode === 401) return undefined;
        throw error;
      });
    if (whoami?.["device_id"] === storedId) {
      return { deviceId: storedId, accessToken: storedToken, storeKey, created: false };
    }
    logger.warn(
      `the homeserver no longer knows the bot's device ${storedId} (logged out or deleted); ` +
        "creating a new one: rooms will need the new device's keys, and older encrypted messages stay unreadable to the bridge",
    );
  }
  const appservice = new CryptoHttp(homeserverUrl, asToken);
  const login = await appservice.request({
    method: "POST",
    path: "/_matrix/client/v3/login",
    body: {
      type: "m.login.application_service",
      identifier: { type: "m.id.user", user: botUserId },
      initial_device_display_name: DEVICE_NAME,
    },
  });
  const deviceId = login["device_id"];
  const accessToken = login["access_token"];
  if (typeof deviceId !== "string" || typeof accessToken !== "string") {
    throw new Error("the homeserver's answer to the bot's login has no device_id or access_token");
  }
  await values.setValue(DEVICE_ID, Buffer.from(deviceId, "utf8"));
  await values.setValue(ACCESS_TOKEN, Buffer.from(accessToken, "utf8"));
  logger.info(`created the bot's Matrix device ${deviceId}`);
  return { deviceId, accessToken, storeKey, created: true };
}

/**
 * Creates the bot's account on the homeserver. Synapse does not create the appservice's own user
 * (the registration's sender) by itself, and refuses the device token of a user without an account;
 * this must happen before anything else about the bot (a profile) is stored. Already there is fine.
 */
export async function registerBotAccount(homeserverUrl: string, asToken: string, botUserId: string) {
  await new CryptoHttp(homeserverUrl, asToken)
    .request({
      method: "POST",
      path: "/_matrix/client/v3/register",
      body: { type: "m.login.application_service", username: localpartOf(botUserId), inhibit_login: true },
    })
    .catch((error: unknown) => {
      if (!(error instanceof HomeserverError && error.errcode === "M_USER_IN_USE")) throw error;
    });
}

function localpartOf(userId: string): string {
  return userId.slice(1, userId.indexOf(":"));
}
