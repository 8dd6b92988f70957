import type { Application } from "express";
import type { BridgeConfig } from "../../config/index.js";
import type { Logger } from "../../logger.js";
import type { Store } from "../../store/index.js";
import type { ContactNameDirectory } from "../contact-names.js";
import type { Ghosts } from "../ghosts.js";
import { type LinkSession, type LinkSessions, reportLinking } from "../link-sessions.js";
import type { LoginCommandOptions } from "../login-commands.js";
import type { LoginManager } from "../logins.js";
import type { PhoneNumberDiscovery } from "../phone-number-lookup.js";
import type { Portals } from "../portals.js";
import { qrCodePng } from "../qr-code.js";
import { BridgeStates, postStateTo } from "./bridge-states.js";
import { serveProvisioning } from "./provisioning-api.js";
import { ProvisioningAuth } from "./provisioning-auth.js";
import { ProvisioningLogins } from "./provisioning-logins.js";
import { WebLogin } from "./web-login.js";

/** Tells a user something in their management room; resolves without sending when they have none. */
export type TellUser = (userId: string, text: string, html?: string) => Promise<void>;

/**
 * The states of all logins, reported to `homeserver.status_endpoint` (with the as_token) and as
 * notices as `bridge.bridge_status_notices` says. Feed it LoginManager's login events.
 */
export function bridgeStates(config: BridgeConfig, asToken: string, tellUser: TellUser, logger: Logger) {
  const endpoint = config.homeserver.status_endpoint;
  return new BridgeStates({
    ...(endpoint ? { post: postStateTo(endpoint, asToken) } : {}),
    notices: config.bridge.bridge_status_notices,
    notify: tellUser,
    logger,
  });
}

export interface OpsDeps {
  config: BridgeConfig;
  states: BridgeStates;
  linking: LinkSessions;
  store: Store;
  logins: LoginManager;
  portals: Portals;
  ghosts: Ghosts;
  names: ContactNameDirectory;
  discovery: PhoneNumberDiscovery;
  botUserId: string;
  tellUser: TellUser;
  logger: Logger;
}

/** What the rest of the bridge uses of the operations room. */
export interface Ops {
  /** For the bot's login commands: the web login link, and the state of a login. */
  loginCommandOptions: LoginCommandOptions;
  /** Serves the web login page and the provisioning API, as configured, on the appservice's listener. */
  serve(app: Application): void;
  stop(): void;
}

/** The web login page and the provisioning API, each only when configured. */
export function createOps(deps: OpsDeps): Ops {
  const { config, states, linking, logger } = deps;
  // A linking they start is reported in the management room, as the bot reports its own.
  const report = (session: LinkSession) =>
    void reportLinking(session, (text) => deps.tellUser(session.userId, text), logger).catch((error) =>
      logger.error(`could not tell ${session.userId} how their login went`, error),
    );
  const qrImage = async (url: string) => `data:image/png;base64,${(await qrCodePng(url)).toString("base64")}`;

  const publicAddress = config.appservice.public_address;
  const webLogin = publicAddress
    ? new WebLogin({
        publicAddress,
        sessions: linking,
        logins: deps.logins,
        qrImage,
        reportLinking: report,
        logger: logger.child("web-login"),
      })
    : undefined;
  const sharedSecret = config.provisioning.shared_secret;
  const provisioning = sharedSecret
    ? {
        auth: new ProvisioningAuth(sharedSecret, config.permissions),
        processes: new ProvisioningLogins({
          sessions: linking,
          qrImage,
          reportLinking: report,
          logger: logger.child("provisioning"),
        }),
      }
    : undefined;

  return {
    loginCommandOptions: {
      ...(webLogin ? { webLoginLink: (userId: string) => webLogin.linkFor(userId) } : {}),
      states: {
        stateOf(userId) {
          const state = states.stateOf(userId);
          return state && { name: state.state_event, ...(state.message ? { message: state.message } : {}) };
        },
      },
    },
    serve(app) {
      webLogin?.serve(app);
      if (!provisioning) return;
      serveProvisioning(app, {
        ...deps,
        ...provisioning,
        prefix: config.provisioning.prefix,
        homeserverDomain: config.homeserver.domain,
        logger: logger.child("provisioning"),
      });
      logger.info(`provisioning API served under ${config.provisioning.prefix}`);
    },
    stop() {
      provisioning?.processes.stop();
      webLogin?.stop();
    },
  };
}
