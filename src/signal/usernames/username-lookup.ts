// Usernames (`name.42`) are looked up by their hash, without revealing who asks: the server
// answers on the unauthenticated chat connection and never sees the username itself.
import { ErrorCode, LibSignalErrorBase, usernames } from "@signalapp/libsignal-client";
import type {
  UnauthenticatedChatConnection,
  UnauthUsernamesService,
} from "@signalapp/libsignal-client/dist/net.js";

/** A text that cannot be a Signal username, with the reason in words a user can act on. */
export class InvalidUsernameError extends Error {
  constructor(
    readonly username: string,
    reason: string,
  ) {
    super(`"${username}" is not a Signal username: ${reason}`);
    this.name = "InvalidUsernameError";
  }
}

/** Usernames are a nickname, a dot and at least two digits; some people write them with a leading @. */
export function normalizeUsername(text: string): string {
  return text.trim().replace(/^@/, "");
}

/**
 * Whether a text has the shape of a username (one word, a dot, digits). The shape is loose on
 * purpose: lookUpUsername then says precisely what is wrong with a malformed one.
 */
export function looksLikeUsername(text: string): boolean {
  return /^@?[^\s.@]+\.\d+$/.test(text.trim());
}

/** The ACI of the account that has this username, or null when nobody has it. */
export async function lookUpUsername(
  connection: UnauthenticatedChatConnection & UnauthUsernamesService,
  username: string,
): Promise<string | null> {
  const normalized = normalizeUsername(username);
  let hash: Uint8Array<ArrayBuffer>;
  try {
    hash = usernames.hash(normalized) as Uint8Array<ArrayBuffer>;
  } catch (error) {
    if (error instanceof LibSignalErrorBase)
      throw new InvalidUsernameError(normalized, usernameProblem(error));
    throw error;
  }
  const aci = await connection.lookUpUsernameHash({ hash });
  return aci ? aci.getServiceIdString() : null;
}

function usernameProblem(error: LibSignalErrorBase): string {
  switch (error.code) {
    case ErrorCode.NicknameTooShort:
      return "the part before the dot is too short";
    case ErrorCode.NicknameTooLong:
      return "the part before the dot is too long";
    case ErrorCode.CannotStartWithDigit:
      return "it cannot start with a digit";
    case ErrorCode.BadNicknameCharacter:
      return "only letters, digits and _ may come before the dot";
    case ErrorCode.MissingSeparator:
      return "it needs a dot followed by digits, like name.42";
    case ErrorCode.BadDiscriminatorCharacter:
    case ErrorCode.DiscriminatorCannotBeEmpty:
    case ErrorCode.DiscriminatorCannotBeZero:
    case ErrorCode.DiscriminatorCannotBeSingleDigit:
    case ErrorCode.DiscriminatorCannotHaveLeadingZeros:
    case ErrorCode.DiscriminatorTooLarge:
      return "the digits after the dot are not valid";
    default:
      return error.message;
  }
}
