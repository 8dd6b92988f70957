/**
 * Signal sends account ids (ACIs) either as UUID strings or as their 16 raw bytes; newer
 * clients prefer the bytes. These helpers turn one into the other without any I/O.
 */

/** The lowercase UUID string of 16 ACI bytes, or undefined if the bytes are not an ACI. */
export function aciFromBytes(bytes: Uint8Array | null | undefined): string | undefined {
  if (!bytes || bytes.length !== 16) return undefined;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The ACI from whichever of the string and binary forms a message carries. */
export function pickAci(
  text: string | null | undefined,
  binary: Uint8Array | null | undefined,
): string | undefined {
  const fromBytes = aciFromBytes(binary);
  if (fromBytes) return fromBytes;
  return text ? text.toLowerCase() : undefined;
}
