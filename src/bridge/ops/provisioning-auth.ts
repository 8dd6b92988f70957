import { createHash, timingSafeEqual } from "node:crypto";
import type { PermissionLevel } from "../../config/index.js";
import { hasPermission, permissionLevelOf } from "../permissions.js";

/** A refusal as mautrix's provisioning API words it: a status and a Matrix-style error. */
export class ProvisioningError extends Error {
  override name = "ProvisioningError";
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
  ) {
    super(message);
  }

  get body(): { errcode: string; error: string } {
    return { errcode: this.errcode, error: this.message };
  }
}

const digest = (text: string) => createHash("sha256").update(text).digest();
const USER_ID = /^@[^:\s]+:[^\s]+$/;

/** Checks provisioning requests: the shared secret, then who they are for and what they may do. */
export class ProvisioningAuth {
  private readonly secret: Buffer;

  constructor(
    sharedSecret: string,
    private readonly permissions: Record<string, PermissionLevel>,
  ) {
    this.secret = digest(sharedSecret);
  }

  /**
   * The Matrix user a request acts for, given its Authorization header and `user_id` parameter;
   * throws ProvisioningError when the request may not go on. Like mautrix, any endpoint needs
   * the permission to log in (the `user` level).
   */
  userOf(authorization: string | undefined, userIdParameter: unknown): string {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
    if (!authorization?.trim() || /^Bearer\s*$/i.test(authorization.trim())) {
      throw new ProvisioningError(401, "M_MISSING_TOKEN", "Missing auth token");
    }
    // Compared as digests: equal lengths, and the time taken says nothing about the secret.
    if (token === undefined || !timingSafeEqual(digest(token), this.secret)) {
      throw new ProvisioningError(401, "M_UNKNOWN_TOKEN", "Invalid auth token");
    }
    if (typeof userIdParameter !== "string" || userIdParameter === "") {
      throw new ProvisioningError(400, "M_MISSING_PARAM", "The user_id query parameter is required");
    }
    if (!USER_ID.test(userIdParameter)) {
      throw new ProvisioningError(400, "M_INVALID_PARAM", `"${userIdParameter}" is not a Matrix user ID`);
    }
    if (!hasPermission(permissionLevelOf(userIdParameter, this.permissions), "user")) {
      throw new ProvisioningError(403, "M_FORBIDDEN", "User does not have login permissions");
    }
    return userIdParameter;
  }
}
