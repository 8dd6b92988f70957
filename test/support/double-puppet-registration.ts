/**
 * The second appservice registration double puppeting uses (docs/double-puppeting.md): no URL,
 * so the homeserver pushes nothing to it, and a non-exclusive namespace of all local users, so
 * its as_token may act as any of them.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

export interface DoublePuppetRegistration {
  file: string;
  /** `double_puppet.secrets` of the bridge config for server `localhost`. */
  secrets: Record<string, string>;
  /** Removes the file's temporary directory. */
  remove(): Promise<void>;
}

export async function writeDoublePuppetRegistration(): Promise<DoublePuppetRegistration> {
  const dir = await mkdtemp(join(tmpdir(), "double-puppet-"));
  const asToken = randomBytes(24).toString("hex");
  const file = join(dir, "double-puppet-registration.yaml");
  await writeFile(
    file,
    stringify({
      id: "doublepuppet",
      url: null,
      as_token: asToken,
      hs_token: randomBytes(24).toString("hex"),
      sender_localpart: randomBytes(8).toString("hex"),
      rate_limited: false,
      namespaces: { users: [{ regex: "@.*:localhost", exclusive: false }] },
    }),
  );
  return {
    file,
    secrets: { localhost: `as_token:${asToken}` },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
