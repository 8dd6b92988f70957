/**
 * The provisioning API, with the paths and JSON shapes of mautrix's bridgev2 (`/v3/...`), so
 * integrations written for mautrix bridges can log users in and start chats. docs/provisioning.md
 * lists what is served and how it differs.
 */
import type { Application, NextFunction, Request, Response } from "express";
import type { Logger } from "../../logger.js";
import type { Store } from "../../store/index.js";
import { commandPrefix } from "../bot-commands.js";
import { lookupProblem, resolveContact, contactsOf } from "../commands/contact-lookup.js";
import type { ContactNameDirectory } from "../contact-names.js";
import { bestName, type Ghosts } from "../ghosts.js";
import { hasLogin, logOut } from "../log-out.js";
import type { Login, LoginManager } from "../logins.js";
import { openDirectChat } from "../open-direct-chat.js";
import type { PhoneNumberDiscovery } from "../phone-number-lookup.js";
import { Portals } from "../portals.js";
import type { BridgeState } from "./bridge-state.js";
import type { BridgeStates } from "./bridge-states.js";
import { type ProvisioningAuth, ProvisioningError } from "./provisioning-auth.js";
import { type ProvisioningLogins, QR_FLOW } from "./provisioning-logins.js";

export interface ProvisioningApiDeps {
  prefix: string;
  auth: ProvisioningAuth;
  processes: ProvisioningLogins;
  states: BridgeStates;
  store: Store;
  logins: LoginManager;
  portals: Portals;
  ghosts: Ghosts;
  names: ContactNameDirectory;
  discovery: PhoneNumberDiscovery;
  botUserId: string;
  homeserverDomain: string;
  logger: Logger;
}

/** The network, as mautrix's `bridgev2.BridgeName`. */
const NETWORK = {
  displayname: "Signal",
  network_url: "https://signal.org",
  network_icon: "",
  network_id: "signal",
  beeper_bridge_type: "signal-matrix-bridge",
} as const;

type Handler = (request: Request, response: Response, userId: string) => Promise<void>;

/** One identified Signal account, as mautrix's `RespResolveIdentifier`. */
interface ResolvedIdentifier {
  id: string;
  name?: string;
  identifiers?: string[];
  mxid: string;
  dm_room_mxid?: string;
}

/** Serves the API on the appservice's HTTP listener under `prefix`. */
export function serveProvisioning(app: Application, deps: ProvisioningApiDeps): void {
  const { prefix, auth, processes, states, store, logins, logger } = deps;
  const at = (path: string) => `${prefix}/v3${path}`;

  // mautrix answers browsers from any origin: the shared secret, not the origin, is the guard.
  app.use(prefix, (request: Request, response: Response, next: NextFunction) => {
    response.set({
      "access-control-allow-origin": "*",
      "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
      "access-control-allow-headers": "X-Requested-With, Content-Type, Authorization",
    });
    if (request.method === "OPTIONS") response.status(200).end();
    else next();
  });

  const guarded =
    (handler: Handler) =>
    async (request: Request, response: Response): Promise<void> => {
      try {
        const userId = auth.userOf(request.headers.authorization, request.query["user_id"]);
        await handler(request, response, userId);
      } catch (error) {
        if (error instanceof ProvisioningError) {
          if (error.status >= 500) logger.warn(`${request.method} ${request.path}: ${error.message}`);
          if (!response.headersSent) response.status(error.status).json(error.body);
          return;
        }
        logger.error(`${request.method} ${request.path} failed`, error);
        if (!response.headersSent) {
          response
            .status(500)
            .json({ errcode: "M_UNKNOWN", error: `Internal error: ${(error as Error).message}` });
        }
      }
    };

  /** The user's running login; ?login_id= may name it and must then be it. */
  const loginFor = (request: Request, userId: string): Login => {
    const login = logins.loginOf(userId);
    const wanted = request.query["login_id"];
    if (typeof wanted === "string" && wanted !== "" && wanted !== login?.client.account.aci) {
      throw new ProvisioningError(404, "M_NOT_FOUND", "Login not found");
    }
    if (!login) throw new ProvisioningError(400, "FI.MAU.NOT_LOGGED_IN", "Not logged in");
    return login;
  };

  /** The user's login (running or only stored) as ID and phone number, or undefined. */
  const storedLogin = async (userId: string): Promise<{ aci: string; number: string | null } | undefined> => {
    const running = logins.loginOf(userId)?.client.account;
    if (running) return running;
    if (!(await store.listSignalAccounts()).includes(userId)) return undefined;
    return (await (await store.signalStorage(userId)).getAccount()) ?? undefined;
  };

  const resolved = async (
    userId: string,
    aci: string,
    name: string,
    number: string | null,
  ): Promise<ResolvedIdentifier> => {
    const portal = await store.bridge.portalByKey(Portals.directKey(userId, aci));
    return {
      id: aci,
      name,
      ...(number ? { identifiers: [`tel:${number}`] } : {}),
      mxid: deps.ghosts.userIdOf(aci),
      ...(portal ? { dm_room_mxid: portal.roomId } : {}),
    };
  };

  const resolve = async (request: Request, userId: string) => {
    const login = loginFor(request, userId);
    const query = String(request.params["identifier"] ?? "");
    const lookup = await resolveContact(await store.signalStorage(userId), login, deps.discovery, query);
    switch (lookup.kind) {
      case "found":
        return { login, aci: lookup.aci };
      case "unknown":
        throw new ProvisioningError(404, "M_NOT_FOUND", "Identifier not found");
      case "not-on-signal":
      case "number-identity-only":
        throw new ProvisioningError(404, "M_NOT_FOUND", lookupProblem(query, lookup));
      case "invalid":
      case "ambiguous":
        throw new ProvisioningError(400, "M_INVALID_PARAM", lookupProblem(query, lookup));
      case "rate-limited":
        throw new ProvisioningError(429, "M_LIMIT_EXCEEDED", lookupProblem(query, lookup));
      case "discovery-failed":
        throw new ProvisioningError(500, "M_UNKNOWN", lookupProblem(query, lookup));
    }
  };

  app.get(
    at("/whoami"),
    guarded(async (_request, response, userId) => {
      const account = await storedLogin(userId);
      const managementRoom = await store.bridge.managementRoomOf(userId);
      const state = states.stateOf(userId);
      response.json({
        network: NETWORK,
        login_flows: [QR_FLOW],
        homeserver: deps.homeserverDomain,
        bridge_bot: deps.botUserId,
        command_prefix: commandPrefix,
        ...(managementRoom ? { management_room: managementRoom } : {}),
        logins: account ? [whoamiLogin(account, state)] : [],
      });
    }),
  );

  app.get(
    at("/login/flows"),
    guarded(async (_request, response) => {
      response.json({ flows: [QR_FLOW] });
    }),
  );

  app.post(
    at("/login/start/:flowID"),
    guarded(async (request, response, userId) => {
      if (request.params["flowID"] !== QR_FLOW.id) {
        throw new ProvisioningError(400, "M_NOT_FOUND", "Invalid login flow ID");
      }
      const wanted = request.query["login_id"];
      if (typeof wanted === "string" && wanted !== "" && wanted !== (await storedLogin(userId))?.aci) {
        throw new ProvisioningError(404, "M_NOT_FOUND", "Login not found");
      }
      response.json(await processes.start(userId));
    }),
  );

  app.post(
    at("/login/step/:loginProcessID/:stepID/:stepType"),
    guarded(async (request, response, userId) => {
      const stepType = request.params["stepType"];
      if (stepType === "user_input" || stepType === "cookies") {
        throw new ProvisioningError(400, "M_BAD_STATE", "Step type does not match");
      }
      if (stepType !== "display_and_wait") {
        throw new ProvisioningError(400, "M_UNRECOGNIZED", `Invalid step type "${stepType}"`);
      }
      const processId = String(request.params["loginProcessID"]);
      // A client that gives up waiting closes the request; the process stays for its next call.
      const closed = new AbortController();
      response.on("close", () => closed.abort());
      const step = await processes.wait(userId, processId, String(request.params["stepID"]), closed.signal);
      response.json({ login_id: processId, ...step });
    }),
  );

  app.post(
    at("/login/cancel/:loginProcessID"),
    guarded(async (request, response, userId) => {
      processes.cancel(userId, String(request.params["loginProcessID"]));
      response.json({});
    }),
  );

  app.get(
    at("/logins"),
    guarded(async (_request, response, userId) => {
      const account = await storedLogin(userId);
      response.json({ login_ids: account ? [account.aci] : [] });
    }),
  );

  app.post(
    at("/logout/:loginID"),
    guarded(async (request, response, userId) => {
      const loginId = request.params["loginID"];
      const account = await storedLogin(userId);
      if (loginId !== "all" && loginId !== account?.aci) {
        throw new ProvisioningError(404, "M_NOT_FOUND", "Login not found");
      }
      const accountDeps = { store, logins, logger };
      if (await hasLogin(accountDeps, userId)) await logOut(accountDeps, userId);
      response.json({});
    }),
  );

  app.get(
    at("/contacts"),
    guarded(async (request, response, userId) => {
      const login = loginFor(request, userId);
      const contacts = await contactsOf(await store.signalStorage(userId), login.client.account.aci);
      response.json({
        contacts: await Promise.all(
          contacts.map((contact) => resolved(userId, contact.aci, bestName(contact), contact.number)),
        ),
      });
    }),
  );

  app.get(
    at("/resolve_identifier/:identifier"),
    guarded(async (request, response, userId) => {
      const { login, aci } = await resolve(request, userId);
      const names = await deps.names.namesOf(login, aci);
      response.json(await resolved(userId, aci, bestName(names), names.number ?? null));
    }),
  );

  app.post(
    at("/create_dm/:identifier"),
    guarded(async (request, response, userId) => {
      const { login, aci } = await resolve(request, userId);
      const opened = await openDirectChat(deps, login, aci);
      const number = (await (await store.signalStorage(userId)).getRecipient(aci))?.number ?? null;
      response.status(opened.existed ? 200 : 201).json(await resolved(userId, aci, opened.name, number));
    }),
  );

  // Last: anything else under the prefix is no endpoint (after the routes above had their turn).
  app.use(prefix, (_request: Request, response: Response) => {
    response.status(404).json({ errcode: "M_UNRECOGNIZED", error: "Unrecognized endpoint" });
  });
}

/**
 * A login in `whoami`, as mautrix's `RespWhoamiLogin`: its state without the fields the login
 * itself shows, and the deprecated flat copies of it that older clients read.
 */
function whoamiLogin(account: { aci: string; number: string | null }, state: BridgeState | undefined) {
  const {
    user_id: _user,
    remote_id: _id,
    remote_name: _name,
    remote_profile: _profile,
    ...own
  } = state ?? {
    state_event: "STARTING",
    timestamp: Math.floor(Date.now() / 1000),
    ttl: 0,
    source: "bridge",
    user_id: "",
  };
  return {
    state_event: own.state_event,
    state_ts: own.timestamp,
    state: own,
    id: account.aci,
    name: account.number ?? account.aci,
    profile: account.number ? { phone: account.number } : {},
  };
}
