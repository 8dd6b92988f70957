// Signal avatars (profile pictures, group avatars) come as bare image bytes, without a content
// type: the media repository and clients need one, so it is told from the image's first bytes.

const SIGNATURES: ReadonlyArray<{ type: string; bytes: readonly number[]; offset?: number }> = [
  { type: "image/png", bytes: [0x89, 0x50, 0x4e, 0x47] },
  { type: "image/jpeg", bytes: [0xff, 0xd8, 0xff] },
  { type: "image/gif", bytes: [0x47, 0x49, 0x46, 0x38] },
  { type: "image/webp", bytes: [0x57, 0x45, 0x42, 0x50], offset: 8 },
];

/** The image's content type by its magic bytes; `application/octet-stream` when not recognised. */
export function imageContentType(image: Uint8Array): string {
  const match = SIGNATURES.find(({ bytes, offset = 0 }) =>
    bytes.every((byte, index) => image[offset + index] === byte),
  );
  return match?.type ?? "application/octet-stream";
}
