import {
  boolean,
  integer,
  mapOf,
  oneOf,
  optional,
  path,
  section,
  string,
  url,
  type Infer,
} from "./schema-dsl.js";

export const permissionLevels = ["relay", "user", "admin"] as const;
export type PermissionLevel = (typeof permissionLevels)[number];

const localpart = /^[a-z0-9._=\-/]+$/;

/** The whole configuration, described once. Validation, sample and docs derive from it. */
export const configSchema = section("Bridge configuration", {
  homeserver: section("The Matrix homeserver the bridge belongs to.", {
    url: url({
      description: "Client-server API URL the bridge uses to reach the homeserver.",
      example: "http://localhost:8008",
    }),
    domain: string({
      description: "The homeserver's server name: the part after the colon in user IDs.",
      example: "example.org",
      pattern: /^[A-Za-z0-9.-]+(:\d+)?$/,
      patternHint: "use the bare server name such as example.org, without https:// or a path",
    }),
    status_endpoint: optional(
      url({
        description:
          "URL the bridge POSTs each login's connection state to (mautrix's bridge state JSON), with the as_token as bearer token. Nothing is sent when unset.",
      }),
    ),
  }),
  appservice: section("How the homeserver and the bridge reach each other.", {
    id: string({
      description: "Application service ID written into the registration file.",
      default: "signal",
    }),
    address: url({
      description: "URL the homeserver uses to push events to the bridge.",
      default: "http://localhost:29328",
    }),
    hostname: string({
      description: "Address the bridge's HTTP listener binds to.",
      default: "127.0.0.1",
    }),
    port: integer({
      description: "Port the bridge's HTTP listener binds to.",
      default: 29328,
      min: 1,
      max: 65535,
    }),
    public_address: optional(
      url({
        description:
          "URL at which people's browsers reach the bridge's HTTP listener (usually through a reverse proxy), e.g. https://signal-bridge.example.org. The bot's login answer then also offers a web page with the QR code; without it there is no such link.",
      }),
    ),
    registration: path({
      description:
        "Registration file made with --generate-registration; the bridge reads its tokens from it.",
      default: "./registration.yaml",
    }),
    bot: section("The bridge bot users talk to.", {
      localpart: string({
        description: "Localpart of the bot's user ID (@<localpart>:<domain>).",
        default: "signalbot",
        pattern: localpart,
        patternHint: "use lowercase letters, digits and . _ = - / only",
      }),
      display_name: string({
        description: "Display name of the bot.",
        default: "Signal bridge bot",
      }),
    }),
    ghosts: section("Matrix users that stand for Signal contacts.", {
      localpart_template: string({
        description: "Localpart of a ghost user; {aci} is replaced by the contact's lowercase Signal ACI.",
        default: "signal_{aci}",
        pattern: /^[a-z0-9._=\-/]*\{aci\}[a-z0-9._=\-/]*$/,
        patternHint: "include {aci} exactly once, with lowercase letters, digits and . _ = - / around it",
      }),
      display_name_template: string({
        description:
          "Display name of a ghost user; {name} is replaced by the contact's profile name, contact name or number.",
        default: "{name} (Signal)",
        pattern: /\{name\}/,
        patternHint: "include {name}",
      }),
    }),
  }),
  database: section("Where the bridge keeps its state.", {
    type: oneOf(["sqlite", "postgres"], {
      description:
        "sqlite (a file, for small installs) or postgres (PostgreSQL, recommended beyond a few users; see database.uri). An install on sqlite moves to postgres with `signal-matrix-bridge migrate-db --from <path> --to <uri>` (docs/setup.md), keeping the same key_file.",
      default: "sqlite",
    }),
    path: path({
      description: "SQLite database file (created if missing); used when type is sqlite.",
      default: "./data/bridge.db",
    }),
    uri: optional(
      string({
        description:
          "PostgreSQL connection URI (postgres://user@host:5432/dbname?sslmode=...); required when type is postgres. The password may be in the URI, in password_file, or in the PGPASSWORD environment variable; it is never logged.",
      }),
    ),
    password_file: optional(
      path({
        description: "File holding the PostgreSQL password (when the URI has none).",
      }),
    ),
    key_file: path({
      description:
        "File holding the key that encrypts Signal secrets in the database. Created with mode 0600 on first start; back it up with the database, losing it loses all logins.",
      default: "./data/bridge.key",
    }),
  }),
  signal: section("The Signal side.", {
    device_name: string({
      description: "Name of the linked device as the Signal app on the phone shows it.",
      default: "Matrix bridge",
    }),
    environment: oneOf(["production", "local"], {
      description:
        "Which Signal service to use: production, or a local test server described under signal.local.",
      default: "production",
    }),
    profile_refresh_minutes: integer({
      description:
        "How old a contact's profile (name, picture) may get: when they send something after that, it is fetched again in the background and their ghost follows; contact and storage syncs fetch profiles older than this too. 0 fetches it on every message.",
      default: 10,
      min: 0,
      max: 10080,
    }),
    local: section("A local Signal test server (used only when signal.environment is local).", {
      port: optional(
        integer({
          description: "Port of the local server on 127.0.0.1 (chat, storage and CDN).",
          min: 1,
          max: 65535,
        }),
      ),
      ca_file: optional(
        path({ description: "PEM file of the CA that signed the local server's certificate." }),
      ),
      trust_root: optional(
        string({ description: "Base64 public key that signs sealed-sender certificates." }),
      ),
      server_public_params: optional(string({ description: "Base64 zkgroup server public parameters." })),
      generic_server_public_params: optional(
        string({ description: "Base64 generic zkgroup server public parameters." }),
      ),
      backup_server_public_params: optional(
        string({ description: "Base64 backup zkgroup server public parameters." }),
      ),
    }),
  }),
  media: section("Files, images, voice notes and stickers.", {
    max_size_mb: integer({
      description:
        "Largest file bridged in either direction, in MiB; bigger ones become a notice saying so. Signal allows 100.",
      default: 100,
      min: 1,
      max: 2048,
    }),
    ffmpeg_path: string({
      description:
        "The ffmpeg program: converts Matrix voice messages (Ogg/Opus) to AAC, which Signal's apps play as voice notes, and measures Signal voice notes' duration and waveform. Without it voice messages are bridged as they are (logged).",
      default: "ffmpeg",
    }),
  }),
  backfill: section("The message history a phone transfers when the bridge is linked to it.", {
    enabled: boolean({
      description:
        "Offer to take the phone's message history when linking (the phone asks whether to transfer it), and fill the portals of the recent chats with their last messages.",
      default: true,
    }),
    max_portals: integer({
      description:
        "How many of the most recent chats of the history get a portal (direct chats and groups alike), newest first.",
      default: 50,
      min: 0,
      max: 10000,
    }),
    max_initial_messages: integer({
      description:
        "How many of the last messages of each of those chats are shown in its portal, before any newer message.",
      default: 50,
      min: 0,
      max: 10000,
    }),
  }),
  encryption: section("End-to-bridge encryption of Matrix rooms (see docs/encryption.md).", {
    allow: boolean({
      description:
        "Let the bridge take part in encrypted rooms: the bot gets a device of its own, decrypts what Matrix users send and encrypts what the bot and ghosts send. When false, encrypted messages get a notice saying the bridge is not set up for them.",
      default: false,
    }),
    default: boolean({
      description: "Create new portals encrypted (needs allow).",
      default: false,
    }),
    require: boolean({
      description:
        "Bridge nothing from unencrypted rooms: messages there get a notice instead, and new portals are created encrypted (needs allow).",
      default: false,
    }),
  }),
  bridge: section("How the bridge behaves towards its users.", {
    bridge_status_notices: oneOf(["all", "errors", "none"], {
      description:
        "Which changes of a login's connection state the bot tells its user in the management room: all, errors (bad credentials, unknown errors, a disconnection lasting 3 minutes, and the recovery after one of these), or none.",
      default: "errors",
    }),
    message_status_events: boolean({
      description:
        "Send a com.beeper.message_send_status event for each message from Matrix (mautrix's name): SUCCESS once Signal accepted it, updated as recipients' devices confirm delivery, or why it failed. Clients such as Beeper show them; each one is an event the homeserver stores, so they cost homeserver work per message.",
      default: false,
    }),
    message_error_notices: boolean({
      description:
        "Post a notice in the room when a message from Matrix could not be sent to Signal (or read by the bridge), saying why.",
      default: true,
    }),
    delivery_receipts: boolean({
      description:
        "Send a read receipt on a message from Matrix once Signal accepted it, from whoever speaks for the bridge in the room (the bot in groups, the contact in direct chats).",
      default: false,
    }),
    personal_filtering_spaces: boolean({
      description:
        'Give each logged-in user a "Signal" space holding all of their portals, so clients can show their Signal chats apart.',
      default: true,
    }),
    relay: section(
      "Relay mode: in a portal where a logged-in user sent set-relay, what Matrix users without a Signal login (and with at least the relay permission level) write is sent through that user's Signal account, with their name.",
      {
        enabled: boolean({
          description: "Whether set-relay may be used at all.",
          default: true,
        }),
        admin_only: boolean({
          description: "Only bridge admins may turn relay mode on or off.",
          default: false,
        }),
        message_formats: section(
          "How a relayed message reads on Signal, per Matrix message type: HTML in which {name} stands for the sender's display name in the room and {message} for the message (for files, their caption or file name).",
          {
            "m.text": string({ description: "Text messages.", default: "<b>{name}</b>: {message}" }),
            "m.notice": string({ description: "Notices.", default: "<b>{name}</b>: {message}" }),
            "m.emote": string({ description: "Emotes (/me).", default: "* <b>{name}</b> {message}" }),
            "m.image": string({
              description: "Images and stickers.",
              default: "<b>{name}</b> sent an image: {message}",
            }),
            "m.video": string({ description: "Videos.", default: "<b>{name}</b> sent a video: {message}" }),
            "m.audio": string({
              description: "Audio and voice messages.",
              default: "<b>{name}</b> sent an audio file: {message}",
            }),
            "m.file": string({
              description: "Other files.",
              default: "<b>{name}</b> sent a file: {message}",
            }),
            "m.location": string({
              description: "Locations.",
              default: "<b>{name}</b> sent a location: {message}",
            }),
          },
        ),
      },
    ),
  }),
  double_puppet: section(
    "Double puppeting: what users send from their phone appears from their own Matrix account, not their ghost.",
    {
      secrets: mapOf(
        "server name",
        string({
          description: "as_token:<the as_token of a registration that may act as that server's users>.",
          pattern: /^as_token:\S+$/,
          patternHint: 'write "as_token:" followed by the as_token of the double puppet registration',
        }),
        {
          description:
            "Per server name, how the bridge acts as its users without a login: as_token:<token> of a second appservice registration (url: null, a non-exclusive user namespace covering all users) loaded by that homeserver. See docs/double-puppeting.md.",
          default: {},
          example: { "example.org": "as_token:REPLACE_WITH_THE_DOUBLE_PUPPET_AS_TOKEN" },
        },
      ),
      servers: mapOf("server name", url({ description: "Client-server API URL of that server." }), {
        description:
          "Client-server URLs of other servers with a secret; the bridge's own server is reached at homeserver.url.",
        default: {},
        example: { "other.example": "https://matrix.other.example" },
      }),
    },
  ),
  provisioning: section(
    "The provisioning API (mautrix's bridgev2 API) for integrations that log users in. Off unless shared_secret is set.",
    {
      prefix: string({
        description: "Path under which the API is served on the bridge's HTTP listener.",
        default: "/_matrix/provision",
        pattern: /^\/[A-Za-z0-9._~\-/]*[^/]$/,
        patternHint: "start with / and do not end with /, e.g. /_matrix/provision",
      }),
      shared_secret: optional(
        string({
          description:
            "Secret an integration sends as `Authorization: Bearer <secret>`, naming the user with ?user_id=. At least 16 characters; keep it like a password.",
          pattern: /^\S{16,}$/,
          patternHint: "use at least 16 characters without spaces, e.g. the output of `openssl rand -hex 32`",
        }),
      ),
    },
  ),
  permissions: mapOf(
    "user ID, server name or *",
    oneOf(permissionLevels, { description: "Permission level." }),
    {
      description:
        "Who may use the bridge. Keys are full user IDs, server names or * for everyone; levels: relay (may be relayed), user (may log in), admin (may manage the bridge). The most specific entry wins.",
      example: { "*": "relay", "example.org": "user", "@admin:example.org": "admin" },
      checkKey: (entry) =>
        entry === "*" || /^@[^:]+:.+$/.test(entry) || /^[A-Za-z0-9.-]+(:\d+)?$/.test(entry)
          ? undefined
          : {
              problem: "is neither a user ID, a server name nor *",
              fix: "use a full user ID like @alice:example.org, a server name like example.org, or *",
            },
    },
  ),
  logging: section("Log output: to stderr, and to a file when logging.file is set.", {
    level: oneOf(["debug", "info", "warn", "error"], {
      description: "Lowest level that is written to the log.",
      default: "info",
    }),
    format: oneOf(["text", "json"], {
      description:
        "text: one readable line per event. json: one JSON object per line (time, level, scope, msg, and user, room, event ... where known) for log collectors.",
      default: "text",
    }),
    file: optional(
      path({
        description:
          "Also write the log to this file (created with mode 0600), rotated when it reaches logging.max_size_mb.",
      }),
    ),
    max_size_mb: integer({
      description:
        "Size in MiB at which the log file is rotated (bridge.log becomes bridge.log.1, and so on).",
      default: 10,
      min: 1,
      max: 1024,
    }),
    max_files: integer({
      description: "Rotated log files kept besides the current one; the oldest beyond this is deleted.",
      default: 5,
      min: 1,
      max: 100,
    }),
  }),
  metrics: section("Prometheus metrics, served on their own HTTP listener (see docs/metrics.md).", {
    enabled: boolean({
      description: "Serve metrics at http://<metrics.listen>/metrics.",
      default: false,
    }),
    listen: string({
      description:
        "Address and port of the metrics listener. Keep it on a private address: the figures tell how busy the bridge and its users are.",
      default: "127.0.0.1:8001",
      pattern: /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/,
      patternHint: "write host:port, e.g. 127.0.0.1:8001, 0.0.0.0:8001 or [::1]:8001",
    }),
  }),
});

export type BridgeConfig = Infer<typeof configSchema>;
