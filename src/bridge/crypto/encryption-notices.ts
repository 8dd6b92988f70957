/** What a room hears when it is encrypted and the bridge is not set up for that (encryption.allow false). */
export const ENCRYPTION_OFF_NOTICE =
  "This Signal bridge is not set up for encrypted rooms, so it cannot read what is sent here. " +
  "Use a room without encryption (for a chat with the bot: start a direct chat with encryption turned off), " +
  "or ask the bridge's administrator to set encryption.allow to true in the bridge's configuration.";

/** What a room hears when it is not encrypted and the bridge requires encryption (encryption.require). */
export const ENCRYPTION_REQUIRED_NOTICE =
  "This Signal bridge only works in encrypted rooms, so nothing sent here is bridged. " +
  "Turn on encryption in this room's settings, or start a new chat with encryption turned on.";

/** The `m.room.encryption` state among an invite's stripped room state, if any. */
export function invitesToEncryptedRoom(unsigned: unknown): boolean {
  const state = (unsigned as { invite_room_state?: unknown } | undefined)?.invite_room_state;
  return (
    Array.isArray(state) && state.some((event) => (event as { type?: unknown })?.type === "m.room.encryption")
  );
}
